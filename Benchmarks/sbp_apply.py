"""What a user would write without sbsync, with sevenbridges-python, for `make bench`.

  python sbp_apply.py bulk   ENDPOINT TOKEN PROJECT VOLUME N_VOLUME N_DRS
  python sbp_apply.py single ENDPOINT TOKEN PROJECT VOLUME N_VOLUME N_DRS

bulk:   volume imports with Import.bulk_submit (100 per call) polled with Import.bulk_get
        (100 per call); DRS with DRSImportBulk.bulk_submit (100 per call) polled until
        FINISHED, then result_files (bulk files get). Metadata is not set (sbsync's bench
        manifest has none either).
single: one POST /storage/imports per volume file, each polled with GET /storage/imports/{id};
        DRS has no single-item call, so one bulk DRS call per file, each polled.
The volume objects are bench/f{i}.bam; the DRS URIs drs://bench.example.org/o{i}.
"""
import sys
import time

import sevenbridges as sbg

mode, endpoint, token, project, volume = sys.argv[1:6]
n_volume, n_drs = int(sys.argv[6]), int(sys.argv[7])
# debug=True is what lets sevenbridges-python talk plain http (to the local emulator).
api = sbg.Api(url=endpoint, token=token, advance_access=False, debug=True)
POLL = 0.5


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


vol_items = [{'volume': volume, 'location': f'bench/f{i}.bam', 'project': project,
              'name': f'f{i}.bam', 'overwrite': False} for i in range(n_volume)]
drs_items = [{'drs_uri': f'drs://bench.example.org/o{i}', 'project': project, 'name': f'o{i}.cram'}
             for i in range(n_drs)]

if mode == 'bulk':
    ids = []
    for chunk in chunks(vol_items, 100):
        ids += [r.resource.id for r in api.imports.bulk_submit(chunk) if r.valid]
    jobs = [api.drs_imports.bulk_submit(chunk) for chunk in chunks(drs_items, 100)]
    pending = list(ids)
    while pending:
        time.sleep(POLL)
        still = []
        for chunk in chunks(pending, 100):
            for r in api.imports.bulk_get(chunk):
                if r.valid and r.resource.state not in ('COMPLETED', 'FAILED'):
                    still.append(r.resource.id)
        pending = still
    for job in jobs:
        while True:
            job = api.drs_imports.bulk_get(job.id)
            if job.state == 'FINISHED':
                break
            time.sleep(POLL)
        job.result_files
else:
    jobs = [api.imports.submit_import(volume=i['volume'], location=i['location'], project=i['project'],
                                      name=i['name'], overwrite=False) for i in vol_items]
    for job in jobs:
        while True:
            job = api.imports.get(job.id)
            if job.state in ('COMPLETED', 'FAILED'):
                break
            time.sleep(POLL)
    for item in drs_items:
        job = api.drs_imports.bulk_submit([item])
        while api.drs_imports.bulk_get(job.id).state != 'FINISHED':
            time.sleep(POLL)
