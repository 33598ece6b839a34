"""Drives a Marathon (the stand-in) with Debian's python3-marathon, an independent client, and prints
what it saw as one JSON object. Run by test/integration/marathon-standin-python.test.ts:
    /usr/bin/python3 marathon-python-client.py <url> <image> [<events-url>]
The event stream is read from <events-url> when given (a standby: the client must follow its redirect).
"""
import json
import sys
import threading
import time

from marathon import MarathonClient
from marathon.exceptions import NotFoundError
from marathon.models import MarathonApp

url, image = sys.argv[1], sys.argv[2]
events_url = sys.argv[3] if len(sys.argv) > 3 else url
client = MarathonClient(url, timeout=30)
APP = '/py/web'
out = {}
events = []


def listen():
    for raw in MarathonClient(events_url).event_stream(raw=True):
        events.append(json.loads(raw))


threading.Thread(target=listen, daemon=True).start()


def settle(what):
    for _ in range(480):
        if not client.list_deployments():
            return
        time.sleep(0.25)
    raise SystemExit(f'deployments never ended after {what}')


def tasks_of(app_id):
    return sorted(client.list_tasks(app_id), key=lambda t: t.id)


def running(n, gone=()):
    """Waits until the app has exactly n tasks, all running, none of them in `gone`."""
    for _ in range(480):
        tasks = tasks_of(APP)
        if len(tasks) == n and all(t.state == 'TASK_RUNNING' and t.id not in gone for t in tasks):
            return tasks
        time.sleep(0.25)
    raise SystemExit(f'never {n} running tasks')


time.sleep(0.5)  # let the event stream attach
created = client.create_app(APP, MarathonApp.from_json({
    'id': APP, 'instances': 1, 'cpus': 0.1, 'mem': 32, 'cmd': 'exec sleep 600',
    'container': {'type': 'DOCKER', 'docker': {'image': image}}, 'labels': {'rev': '1'},
}))
out['created'] = {'id': created.id, 'instances': created.instances, 'labels': created.labels}
v1 = created.version
settle('create')

listed = client.list_apps(embed_tasks=True)
out['listed'] = [{'id': a.id, 'tasks': [{'host': t.host, 'state': t.state, 'ports': t.ports} for t in a.tasks]} for a in listed]

updated = client.update_app(APP, MarathonApp(labels={'rev': '2'}))
out['updated'] = sorted(updated.keys())
in_progress = client.list_deployments()
out['deployments'] = [{'affected_apps': d.affected_apps, 'steps': len(d.steps)} for d in in_progress]
settle('update')
out['labels_after_update'] = client.get_app(APP).labels

client.scale_app(APP, instances=2)
settle('scale')
out['scaled'] = {'instances': client.get_app(APP).instances, 'tasks': len(tasks_of(APP))}

client.rollback_app(APP, v1)
settle('rollback')
back = client.get_app(APP)
out['rolled_back'] = {'labels': back.labels, 'instances': back.instances}

victim = tasks_of(APP)[0]
killed = client.kill_task(APP, victim.id)
out['killed_task'] = killed.id == victim.id
out['replaced'] = len(running(1, gone={victim.id}))
scaled_down = client.kill_tasks(APP, scale=True)
out['kill_tasks_scale'] = sorted(scaled_down.keys())
settle('kill with scale')
out['after_kill'] = {'instances': client.get_app(APP).instances, 'tasks': len(running(0))}

client.scale_app(APP, instances=1)
settle('scale up again')
given = running(1)[0].id
out['kill_given'] = client.kill_given_tasks([given])
out['replaced_given'] = len(running(1, gone={given}))

client.delete_app(APP, force=True)
settle('delete')
try:
    client.get_app(APP)
    out['deleted'] = False
except NotFoundError:
    out['deleted'] = True

time.sleep(0.5)
out['event_types'] = sorted({e['eventType'] for e in events})
print(json.dumps(out))
