#!/usr/bin/env python3
"""Writes a synthetic CDS-style DRS manifest table and the same entries as sbsync YAML.

  gen-table.py N DIR   writes DIR/table-N.csv (drs_uri, name with a folder, 5 metadata
                       columns; about 170 bytes a row), DIR/table-N.yaml (a manifest whose
                       one drs item reads the CSV) and DIR/entries-N.yaml (the same N entries
                       written out in YAML: the same desired state).

Deterministic for a given N.
"""
import random
import sys
import uuid


def main() -> None:
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: gen-table.py N DIR")
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261205)
    types = ["cram", "bam", "vcf", "fastq"]
    header = ["drs_uri", "name", "Participant ID", "Sample Id", "Md5sum", "File Type", "File Size (in bytes)"]
    with open(f"{out}/table-{n}.csv", "w", newline="") as csv, open(f"{out}/entries-{n}.yaml", "w") as yaml:
        csv.write(",".join(header) + "\r\n")
        yaml.write("version: 1\nproject: bench/cohort\ndrs:\n")
        for i in range(n):
            oid = uuid.UUID(int=rng.getrandbits(128), version=4)
            participant = f"P{i // 4:07d}"
            sample = f"{participant}-S{i % 4}"
            kind = types[i % 4]
            uri = f"drs://nci-crdc.datacommons.io/dg.4DFC/{oid}"
            name = f"{participant}/{sample}-L{i % 3}.{kind}"
            md5 = "%032x" % rng.getrandbits(128)
            size = str(rng.randrange(10**6, 10**11))
            csv.write(f"{uri},{name},{participant},{sample},{md5},{kind},{size}\r\n")
            yaml.write(f"  - {{uri: \"{uri}\", name: \"{sample}-L{i % 3}.{kind}\", folder: \"cohort/{participant}\", "
                       f"metadata: {{\"Participant ID\": \"{participant}\", \"Sample Id\": \"{sample}\", Md5sum: \"{md5}\", "
                       f"\"File Type\": \"{kind}\", \"File Size (in bytes)\": \"{size}\"}}}}\n")
    with open(f"{out}/table-{n}.yaml", "w") as manifest:
        manifest.write(f"version: 1\nproject: bench/cohort\ndrs:\n  - from: table-{n}.csv\n    folder: cohort\n")


if __name__ == "__main__":
    main()
