"""What a user would write without sbsync, with sevenbridges-python, for `make bench`.

  python sbp_apply.py bulk   ENDPOINT TOKEN PROJECT VOLUME N_VOLUME N_DRS [--metadata] [--checks]
  python sbp_apply.py single ENDPOINT TOKEN PROJECT VOLUME N_VOLUME N_DRS

bulk:   volume imports with Import.bulk_submit (100 per call) polled with Import.bulk_get
        (100 per call); DRS with DRSImportBulk.bulk_submit (100 per call) polled until
        FINISHED, then result_files (bulk files get). With --metadata every file gets three
        metadata keys and two tags, as in sbsync's bench manifest: DRS items carry them in the
        create call, volume files get them with File.bulk_edit (100 per call) once imported.
        With --checks the script first does what sbsync does before it imports anything (issue
        11): gets the project (the token works, the project exists) and each volume, and lists
        the destination (every page) so that a rerun skips the names already there instead of
        importing them again. Without it the script checks nothing.
single: one POST /storage/imports per volume file, each polled with GET /storage/imports/{id};
        DRS has no single-item call, so one bulk DRS call per file, each polled.
The volume objects are bench/f{i}.bam; the DRS URIs drs://bench.example.org/o{i}.
"""
import sys
import time

import sevenbridges as sbg

mode, endpoint, token, project, volume = sys.argv[1:6]
n_volume, n_drs = int(sys.argv[6]), int(sys.argv[7])
with_metadata = '--metadata' in sys.argv[8:]
with_checks = '--checks' in sys.argv[8:]
# debug=True is what lets sevenbridges-python talk plain http (to the local emulator).
api = sbg.Api(url=endpoint, token=token, advance_access=False, debug=True)
POLL = 0.5
TAGS = ['bench', 'cohort-a']


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def metadata(i):
    return {'sample_id': f'S{i}', 'case_id': f'C{i}', 'study': 'BENCH'}


vol_items = [{'volume': volume, 'location': f'bench/f{i}.bam', 'project': project,
              'name': f'f{i}.bam', 'overwrite': False} for i in range(n_volume)]
drs_items = [{'drs_uri': f'drs://bench.example.org/o{i}', 'project': project, 'name': f'o{i}.cram'}
             for i in range(n_drs)]
if with_metadata:
    for i, item in enumerate(drs_items):
        item['metadata'] = metadata(i)

if with_checks:
    api.projects.get(id=project)
    if vol_items and not api.volumes.get(id=volume).active:
        sys.exit(f'volume {volume} is inactive')
    # Page by page: Collection.all() would fetch the first page a second time.
    page, present = api.files.query(project=project, limit=100), set()
    while True:
        present |= {f.name for f in page}
        try:
            page = page.next_page()
        except sbg.errors.PaginationError:
            break
    vol_items = [i for i in vol_items if i['name'] not in present]
    drs_items = [i for i in drs_items if i['name'] not in present]

if mode == 'bulk':
    ids = []
    for chunk in chunks(vol_items, 100):
        ids += [r.resource.id for r in api.imports.bulk_submit(chunk) if r.valid]
    jobs = [api.drs_imports.bulk_submit(chunk, tags=TAGS if with_metadata else None)
            for chunk in chunks(drs_items, 100)]
    pending = list(ids)
    imported = []
    while pending:
        time.sleep(POLL)
        still = []
        for chunk in chunks(pending, 100):
            for r in api.imports.bulk_get(chunk):
                if not r.valid:
                    continue
                if r.resource.state not in ('COMPLETED', 'FAILED'):
                    still.append(r.resource.id)
                elif r.resource.state == 'COMPLETED' and r.resource.result is not None:
                    imported.append(r.resource.result)
        pending = still
    if with_metadata:
        for file in imported:
            index = int(file.name[1:-len('.bam')])
            for key, value in metadata(index).items():
                file.metadata[key] = value
            file.tags = list(TAGS)
        for chunk in chunks(imported, 100):
            api.files.bulk_edit(chunk)
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
