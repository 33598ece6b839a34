import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import { describeDeployment, errorMessage, fieldErrors, lockingDeployments, type MarathonDeployment } from '../../../src/core/marathon/errors.js';
import { parseEventData, type DeployEvent } from '../../../src/core/marathon/events.js';

const text = (f: string) => readFileSync(new URL(`fixtures/${f}`, import.meta.url), 'utf8');
const json = (f: string) => JSON.parse(text(f)) as unknown;

describe('Marathon error bodies', () => {
  it('422 details as path: errors lines (1.0+ shape)', () => {
    expect(fieldErrors(json('error-422-validation.json'))).toEqual(['/upgradeStrategy/minimumHealthCapacity: is greater than 1']);
    expect(errorMessage(json('error-422-validation.json'))).toBe('Object is not valid');
  });
  it('older shapes: details[{attribute,error}], errors[{attribute,error}], a details string', () => {
    expect(fieldErrors({ message: 'x', details: [{ attribute: 'instances', error: 'must be >= 0' }] })).toEqual(['instances: must be >= 0']);
    expect(fieldErrors({ message: 'x', errors: [{ attribute: 'id', error: 'bad' }] })).toEqual(['id: bad']);
    expect(fieldErrors({ message: 'Invalid JSON', details: 'Unexpected end-of-input' })).toEqual(['Unexpected end-of-input']);
    expect(fieldErrors('<html>')).toEqual([]);
  });
  it('409 lock: the deployment ids come from deployments[], not the message', () => {
    expect(lockingDeployments(json('error-409-app-locked.json'))).toEqual(['97c136bf-5a28-4821-9d94-480d9fbb01c8']);
  });
  it('non-JSON bodies (leader proxy) become a short text', () => {
    expect(errorMessage(undefined, '<html><body><h2>Could not determine the current leader</h2></body></html>')).toBe('Could not determine the current leader');
  });
  it('describes a deployment from /v2/deployments', () => {
    const [d] = json('get-deployments-response.json') as MarathonDeployment[];
    expect(describeDeployment(d!)).toMatch(new RegExp(`^${d!.id} started .*step \\d+/\\d+: \\w+`));
  });
});

describe('event stream payloads', () => {
  it('parses the real SSE sample (CRLF or LF) and dispatches on eventType', () => {
    const events: DeployEvent[] = [];
    const parser = createParser({ onEvent: (m) => events.push(...parseEventData(m.data)) });
    parser.feed(text('events-stream-sample.txt').replace(/\n/g, '\r\n'));
    expect(events.map((e) => e.type)).toEqual(['attached', 'status_update_event', 'status_update_event']);
    expect(events[1]).toMatchObject({ appId: '/foo', taskStatus: 'TASK_FAILED', host: 'srv5.hw.ca1.mesosphere.com' });
  });
  it('deployment success/failed carry the deployment id (and the 1.7+ reason)', () => {
    expect(parseEventData(text('deployment_success.json').replace(/\s*\n\s*/g, ''))).toEqual([{ type: 'deployment_success', id: '867ed450-f6a8-4d33-9b0e-e11c5513990b' }]);
    expect(parseEventData(JSON.stringify({ eventType: 'deployment_failed', id: 'd1', reason: 'cancelled' }))).toEqual([{ type: 'deployment_failed', id: 'd1', reason: 'cancelled' }]);
    expect(parseEventData(JSON.stringify({ eventType: 'deployment_success', plan: { id: 'd2' } }))).toEqual([{ type: 'deployment_success', id: 'd2' }]);
  });
  it('health events of both generations; several JSON documents in one data field', () => {
    const data = [text('instance_health_changed_event.json'), text('health_status_changed_event.json')].map((t) => JSON.stringify(JSON.parse(t))).join('\r\n');
    const events = parseEventData(data);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ type: 'health_changed', appId: '/app-id', alive: true });
    expect(events[1]).toMatchObject({ type: 'health_changed' });
  });
  it('names junk as malformed (the adapter reports it and reads on); blank keepalives are nothing', () => {
    expect(parseEventData('not json')).toEqual([{ type: 'malformed', why: 'not JSON: "not json"' }]);
    expect(parseEventData('[1,2]')).toEqual([{ type: 'malformed', why: 'not a JSON object: "[1,2]"' }]);
    expect(parseEventData(JSON.stringify({ eventType: 'deployment_success' }))).toEqual([{ type: 'malformed', why: 'deployment_success without a deployment id' }]);
    expect(parseEventData(JSON.stringify({ eventType: 'status_update_event', appId: '/a' }))).toEqual([{ type: 'malformed', why: 'status_update_event without appId, taskId or taskStatus' }]);
    expect(parseEventData('')).toEqual([]);
    expect(parseEventData('\r\n')).toEqual([]);
  });
});
