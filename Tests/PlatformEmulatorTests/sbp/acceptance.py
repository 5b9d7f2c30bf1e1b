"""sevenbridges-python acceptance run against the sbsync emulator.

Usage: python acceptance.py BASE_URL TOKEN PROJECT VOLUME
The emulator must serve PROJECT (empty) and VOLUME with objects at least
  runs/r1/sample1.bam, runs/r1/sample2.bam, runs/r1/sample3.bam, runs/r1/qc/report.txt, top.txt
and must be configured so that the DRS URI drs://drs.example.org/missing-1 is missing,
with a time scale that makes jobs finish in well under a second and a rate window of a
second or two. Prints one 'ok: ...' line per checked behaviour; exits non-zero on failure.
"""
import sys
import time

import sevenbridges as sbg
from sevenbridges.http.error_handlers import rate_limit_sleeper


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", flush=True)
        sys.exit(1)


def wait_until(predicate, what, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    print(f"FAIL: timed out waiting for {what}", flush=True)
    sys.exit(1)


def main():
    base_url, token, project, volume_id = sys.argv[1:5]
    seen_429 = []

    def counting_rate_limit_sleeper(api, response):
        if response.status_code == 429:
            seen_429.append(response.headers.get("X-RateLimit-Reset"))
        return rate_limit_sleeper(api, response)

    api = sbg.Api(url=base_url, token=token, debug=True, error_handlers=[counting_rate_limit_sleeper])

    # 1. Single volume import, reload() until COMPLETED.
    imp = api.imports.submit_import(
        volume=volume_id, location="runs/r1/sample1.bam", project=project, name="sample1.bam"
    )
    check(imp.state in ("PENDING", "RUNNING"), f"new import state {imp.state}")
    def single_done():
        imp.reload()
        return imp.state in ("COMPLETED", "FAILED")
    wait_until(single_done, "single import")
    check(imp.state == "COMPLETED", f"single import ended {imp.state}: {imp.error}")
    check(imp.result.name == "sample1.bam", f"result name {imp.result.name}")
    check(imp.result.storage.volume == volume_id, "result storage volume")
    check(imp.result.size > 0, "result size")
    print(f"ok: single import {imp.id} COMPLETED -> file {imp.result.id}", flush=True)
    check(api.imports.get(imp.id).state == "COMPLETED", "imports.get")
    listed = api.imports.query(project=project, volume=volume_id)
    check(listed.total >= 1, "imports.query total")
    print(f"ok: imports.get and imports.query ({listed.total} jobs)", flush=True)

    # 2. Bulk volume import, bulk_get until all finished. Second item collides with sample1.bam
    #    and asks for autorename; the third names a location that does not exist.
    records = api.imports.bulk_submit([
        {"volume": volume_id, "location": "runs/r1/sample2.bam", "project": project},
        {"volume": volume_id, "location": "runs/r1/sample1.bam", "project": project, "autorename": True},
        {"volume": volume_id, "location": "runs/r1/nope.bam", "project": project},
    ])
    check(len(records) == 3, f"bulk_submit records {len(records)}")
    check(records[0].valid and records[1].valid, "first two bulk items accepted")
    check(not records[2].valid and records[2].error.code == 9105, f"third item error {records[2].error}")
    ids = [r.resource.id for r in records if r.valid]
    final = {}
    def bulk_done():
        for record in api.imports.bulk_get(ids):
            check(record.valid, f"bulk_get record error {record.error}")
            final[record.resource.id] = record.resource
        return all(job.state in ("COMPLETED", "FAILED") for job in final.values())
    wait_until(bulk_done, "bulk imports")
    names = sorted(final[i].result.name for i in ids)
    check(names == ["_1_sample1.bam", "sample2.bam"], f"bulk names {names}")
    print(f"ok: imports.bulk_submit + bulk_get -> {names}; missing location rejected with 9105", flush=True)

    # 3. DRS bulk import, bulk_get until FINISHED, result_files.
    drs_items = [
        {"drs_uri": "drs://drs.example.org/0b1c2d3e-aaaa-bbbb-cccc-000000000001", "project": project,
         "name": "tumor.cram", "metadata": {"sample_id": "S1"}},
        {"drs_uri": "drs://dg.ABCD:0b1c2d3e-aaaa-bbbb-cccc-000000000002", "project": project},
        {"drs_uri": "drs://drs.example.org/missing-1", "project": project},
    ]
    job = api.drs_imports.bulk_submit(drs_items, tags=["cohort-a"], conflict_resolution="SKIP")
    check(isinstance(job.id, str) and job.id.isdigit(), f"drs job id {job.id!r}")
    def drs_done():
        nonlocal job
        job = api.drs_imports.bulk_get(job.id)
        return job.state == "FINISHED"
    wait_until(drs_done, "DRS job")
    errors = [r.error for r in job.result if r.error is not None]
    check(len(errors) == 1 and errors[0].status == 404, f"drs errors {errors}")
    records = job.result_files
    check(records is not None and all(r.valid for r in records), f"result_files records {records}")
    result_files = [r.resource for r in records]
    drs_names = sorted(f.name for f in result_files)
    check(drs_names == ["0b1c2d3e-aaaa-bbbb-cccc-000000000002", "tumor.cram"], f"drs names {drs_names}")
    tumor = [f for f in result_files if f.name == "tumor.cram"][0]
    check(tumor.metadata["sample_id"] == "S1" and tumor.tags == ["cohort-a"], "drs metadata and tags")
    print(f"ok: drs_imports.bulk_submit + bulk_get FINISHED + result_files -> {drs_names}; 1 missing", flush=True)

    # 4. Folder creation, then files.query(...).all() across several pages.
    folder = api.files.create_folder(name="batch", project=project)
    check(folder.is_folder(), "create_folder type")
    inner = api.files.create_folder(name="inner", parent=folder.id)
    check(inner.parent == folder.id, "nested folder parent")
    print(f"ok: files.create_folder {folder.id} and nested {inner.id}", flush=True)
    for n in range(7):
        api.files.create_folder(name=f"f{n:02d}", project=project)
    page = api.files.query(project=project, limit=2)
    everything = list(page.all())
    expected = 5 + 1 + 7  # 4 imported files + 1 DRS (missing fails) ... counted below
    root_names = sorted(f.name for f in everything)
    check(len(everything) == page.total, f"all() gave {len(everything)} of {page.total}")
    check(page.total >= 12, f"total {page.total}")
    check(len(set(f.id for f in everything)) == len(everything), "no duplicates across pages")
    print(f"ok: files.query(limit=2).all() -> {len(everything)} items over {(page.total + 1) // 2} pages", flush=True)
    named = api.files.query(project=project, names=["sample1.bam", "tumor.cram"])
    check(sorted(f.name for f in named) == ["sample1.bam", "tumor.cram"], "name filters")
    fetched = api.files.get(tumor.id)
    check(fetched.name == "tumor.cram", "files.get")
    print("ok: files.query(names=...) and files.get", flush=True)
    del expected, root_names

    # 5. Volumes.
    volume = api.volumes.get(volume_id)
    check(volume.id == volume_id, "volumes.get id")
    listing = volume.list(prefix="runs/r1/", limit=2)
    locations = sorted(item.location for item in listing.all())
    check(locations == ["runs/r1/sample1.bam", "runs/r1/sample2.bam", "runs/r1/sample3.bam"], f"locations {locations}")
    top = volume.list()
    check([p.prefix for p in top.prefixes] == ["runs/"], f"prefixes {[p.prefix for p in top.prefixes]}")
    print(f"ok: volumes.get + volume.list(prefix, limit=2).all() -> {len(locations)} objects", flush=True)

    # 6. Metadata and tags.
    tumor.metadata["case_id"] = "C9"
    tumor.save()
    merged = dict(api.files.get(tumor.id).metadata)
    check(merged == {"sample_id": "S1", "case_id": "C9"}, f"metadata merge {merged}")
    print("ok: file metadata save", flush=True)

    # 6b. Bulk edit (merge) and bulk update (replace): how sbsync sets metadata and tags.
    targets = list(api.files.query(project=project, names=["sample2.bam", "tumor.cram"]))
    check(sorted(f.name for f in targets) == ["sample2.bam", "tumor.cram"], "bulk edit targets")
    for f in targets:
        f.metadata["study"] = "ICDC"
        f.tags = ["bulk", f.name]
    tumor_target = [f for f in targets if f.name == "tumor.cram"][0]
    tumor_target.metadata["case_id"] = None  # a null removes the key
    records = api.files.bulk_edit(targets + [folder])
    check(len(records) == 3, f"bulk_edit records {len(records)}")
    check(all(r.valid for r in records[:2]), f"bulk_edit errors {[r.error for r in records[:2]]}")
    check(not records[2].valid and records[2].error.code == 5023, f"bulk_edit of a folder {records[2].error}")
    edited = api.files.get(tumor.id)
    check(dict(edited.metadata) == {"sample_id": "S1", "study": "ICDC"}, f"bulk_edit merge {dict(edited.metadata)}")
    check(edited.tags == ["bulk", "tumor.cram"], f"bulk_edit tags {edited.tags}")
    edited.metadata = {"replaced": "yes"}
    edited.tags = ["r"]
    records = api.files.bulk_update([edited])
    check(len(records) == 1 and records[0].valid, f"bulk_update {records[0].error if records else None}")
    replaced = api.files.get(tumor.id)
    check(dict(replaced.metadata) == {"replaced": "yes"} and replaced.tags == ["r"], f"bulk_update replace {dict(replaced.metadata)} {replaced.tags}")
    check(replaced.name == "tumor.cram", "bulk_update keeps the name it was sent")
    print("ok: files.bulk_edit (merge, per-item error) + files.bulk_update (replace)", flush=True)

    # 7. Rate limit: exhaust the budget with POSTs and let rate_limit_sleeper wait it out.
    limit = api.limit
    check(limit > 0, "rate limit known")
    before = len(seen_429)
    started = time.time()
    calls = 0
    while len(seen_429) == before and calls < 10 * limit:
        records = api.files.bulk_get([tumor.id])
        check(records[0].resource.id == tumor.id, "bulk_get after 429")
        calls += 1
    check(len(seen_429) > before, f"no 429 after {calls} calls")
    print(f"ok: 429 handled by rate_limit_sleeper after {calls} POSTs (limit {limit}); waited {time.time() - started:.1f}s; {len(seen_429)} 429s in the run", flush=True)
    print("ACCEPTANCE PASSED", flush=True)


if __name__ == "__main__":
    main()
