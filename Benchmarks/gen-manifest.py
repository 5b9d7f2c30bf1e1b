#!/usr/bin/env python3
"""Writes a synthetic sbsync manifest (DESIGN.md, version 1) with N file entries to stdout.

Half the entries are volume files (grouped under a few volumes), half DRS entries; each has
2-3 metadata keys. Names and paths look like a genomics cohort (patients, samples, lanes,
reads). Every entry lands on a distinct destination. The output is deterministic for a given N.

Usage: gen-manifest.py N > manifest.yaml
"""
import random
import sys
import uuid


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: gen-manifest.py N")
    n = int(sys.argv[1])
    rng = random.Random(20260101)
    out = sys.stdout
    w = out.write
    n_volume = n // 2
    n_drs = n - n_volume
    volumes = max(1, min(8, n_volume // 1000 or 1))
    per_volume = (n_volume + volumes - 1) // volumes
    studies = ["TCGA-BRCA", "TCGA-LUAD", "TARGET-NBL", "CPTAC-3", "ICDC-OSA"]
    tissues = ["tumor", "normal", "metastasis"]
    strategies = ["WGS", "WXS", "RNA-Seq"]
    platforms = ["ILLUMINA", "BGISEQ", "ONT"]
    centers = ["broad", "bcm", "wustl", "ucsc"]

    w("# Synthetic benchmark manifest: %d entries (Benchmarks/gen-manifest.py).\n" % n)
    w("version: 1\nproject: rfranklin/pan-cancer-cohort\n")
    w("defaults:\n  conflict: skip\n  tags: [benchmark]\n  metadata: {study: PANCAN}\n")
    if n_volume:
        w("volumes:\n")
        written = 0
        for v in range(volumes):
            count = min(per_volume, n_volume - written)
            if count <= 0:
                break
            w("  - volume: rfranklin/%s_bucket_%02d\n" % (centers[v % len(centers)], v))
            w("    folder: raw/v%02d\n    files:\n" % v)
            for i in range(written, written + count):
                patient = "P%06d" % (i // 8)
                sample = "%s-%s%d" % (patient, "TN"[i % 2], (i // 2) % 4 + 1)
                lane = i % 4 + 1
                read = i % 2 + 1
                strategy = strategies[i % 3]
                loc = "cohort/%s/%s/%s_L%03d_R%d_%07d.fastq.gz" % (patient, strategy, sample, lane, read, i)
                w("      - location: %s\n" % loc)
                if i % 5 == 0:
                    w("        name: %s_R%d_%07d.fq.gz\n" % (sample, read, i))
                if i % 3 == 0:
                    w("        metadata:\n          sample_id: %s\n          sample_type: %s\n          paired_end: %d\n"
                      % (sample, tissues[i % 3], read))
                else:
                    w("        metadata: {sample_id: %s, experimental_strategy: %s}\n" % (sample, strategy))
            written += count
    if n_drs:
        w("drs:\n")
        for j in range(n_drs):
            u = uuid.UUID(int=rng.getrandbits(128), version=4)
            case = "C%06d" % (j // 6)
            study = studies[j % len(studies)]
            ext = ("bam", "cram", "vcf.gz", "maf.gz")[j % 4]
            w("  - uri: drs://nci-crdc.datacommons.io/%s\n" % u)
            w("    name: %s_%s_%07d.%s\n" % (study, case, j, ext))
            w("    folder: drs/%s\n" % study)
            if j % 2:
                w("    metadata: {case_id: %s, platform: %s, coverage: %.1f}\n"
                  % (case, platforms[j % 3], 20 + (j % 400) / 10))
            else:
                w("    metadata:\n      case_id: %s\n      reference_genome: GRCh38\n" % case)


if __name__ == "__main__":
    main()
