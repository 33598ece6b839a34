import { once } from 'node:events';
import { UsageError } from '../../core/errors.js';
import { shortSha } from '../../core/image-ref.js';
import { makePlan, type Plan } from '../../core/plan.js';
import { renderPlanText } from '../../core/render-plan.js';
import type { Step } from '../../core/steps/index.js';
import { execute } from '../../exec/executor.js';
import { hookFailures } from '../../exec/handlers/hooks.js';
import { handlers } from '../../exec/handlers/index.js';
import { Results } from '../../exec/results.js';
import type { Log } from '../../ports/log.js';
import { planFor, planSummary, readHistory, readStatus, testedOf, upstreamFor } from '../../server/actions.js';
import { isLoopback } from '../../server/auth.js';
import { tailEvents } from '../../server/events.js';
import { createServe, HttpError, type ServeApp } from '../../server/http.js';
import { renderBody, renderPage } from '../../server/page.js';
import type { CommandAction, CommandEnv } from '../command.js';
import { eventsFile, recordEvent } from '../events.js';
import { serveStoppedReport, upstreamReport } from '../views/serve.js';

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new UsageError(`--listen ${listen}: should be host:port, e.g. 127.0.0.1:8700`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function serveApp(env: CommandEnv, token: string | undefined, broadcast: (event: string, data: unknown) => void): ServeApp {
  const { ports, config } = env;
  let running: string | undefined;
  const observer = {
    started: (s: Step, i: number, n: number) => broadcast('progress', { line: `> [${i + 1}/${n}] ${s.title}` }),
    finished: (s: Step) => broadcast('progress', { line: `✔ ${s.title}` }),
    failed: (s: Step, _ms: number, e: unknown) => broadcast('progress', { line: `✖ ${s.title}: ${e instanceof Error ? e.message : String(e)}` }),
    cleanupFailed: (what: string) => broadcast('progress', { line: `warning: cleanup "${what}" failed` }),
  };
  // Hook output and warnings stream to the page as well as to this process's stderr.
  const log: Log = {
    ...ports.log,
    output: (line, source) => {
      ports.log.output(line, source);
      broadcast('progress', { line: `  ${source ?? ''} | ${line}` });
    },
    warn: (m) => {
      ports.log.warn(m);
      broadcast('progress', { line: `warning: ${m}` });
    },
  };
  /** Applies the plan; returns the post- hooks that failed (the switch stands). */
  const apply = async (plan: Plan, who: string): Promise<string[]> => {
    const results = new Results();
    try {
      await execute(plan, handlers, { config, ports: { ...ports, log }, signal: env.signal, results }, observer);
    } catch (e) {
      await recordEvent(env, plan, { who, error: e });
      throw e;
    }
    await recordEvent(env, plan, { who });
    return hookFailures(results);
  };
  return {
    async page(fragment) {
      const [status, history] = await Promise.all([readStatus(ports, config), readHistory(ports)]);
      const body = renderBody(status, history, testedOf(status), token !== undefined);
      return fragment ? body : renderPage(config.app, body, token !== undefined);
    },
    status: async () => ({ command: 'status', ...(await readStatus(ports, config)) }),
    history: async () => ({ command: 'history', entries: await readHistory(ports) }),
    upstream: (rev) => upstreamFor(ports, config, rev),
    async switch(action, body, caller) {
      if (running) throw new HttpError(409, `a ${running} is already running from this page`, 'wait for it to finish (progress streams to the page)');
      running = action;
      try {
        const plan = await planFor(ports, config, { action, revision: body.revision, who: caller });
        const s = planSummary(plan);
        if (body.plan) return { plan: true, text: renderPlanText(plan), steps: plan.steps.length, ...s };
        if (body.planHash !== undefined && body.planHash !== s.planHash) {
          throw new HttpError(409, 'production changed since this plan was shown; nothing was changed', 'look at the new plan and confirm again');
        }
        const hookFailed = await apply(plan, caller);
        const changed = plan.steps.length > 0;
        const text = changed ? `${shortSha(s.revision)} is live (verified; was ${s.live ? shortSha(s.live) : 'none'})` : `${shortSha(s.revision)} was already live; nothing changed`;
        return { command: action, revision: s.revision, previous: s.live, changed, by: caller, hookFailures: hookFailed, text: [text, ...hookFailed.map((f) => `warning: ${f}`)].join('\n') };
      } finally {
        running = undefined;
      }
    },
  };
}

export const serve: CommandAction = async (env, _args, opts) => {
  const { host, port } = parseListen(String(opts.listen));
  const token = process.env.DEPLOYER_UI_TOKEN || undefined;
  if (!token && !isLoopback(host)) {
    throw new UsageError(`refusing to listen on ${host} without DEPLOYER_UI_TOKEN`, { hint: 'listen on 127.0.0.1, or set DEPLOYER_UI_TOKEN (the page then needs it to switch)' });
  }
  const plan = makePlan('serve', `serve http://${opts.listen}/  (${token ? 'switching allowed with the token' : 'read-only'})`, { listen: opts.listen, writable: Boolean(token) }, []);
  if (env.globals.plan) return { plan };
  let broadcast: (e: string, d: unknown) => void = () => undefined;
  const serve = createServe({ app: serveApp(env, token, (e, d) => broadcast(e, d)), token, log: (l) => env.out.warn(l) });
  broadcast = serve.broadcast;
  serve.server.listen(port, host);
  await once(serve.server, 'listening');
  const addr = serve.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  env.out.info(`deployer serve: listening on http://${host.includes(':') ? `[${host}]` : host}:${actual}/ (${token ? 'switching needs the token' : 'read-only'})`);
  const stopTail = tailEvents(eventsFile(env), (line) => {
    try {
      serve.broadcast('change', JSON.parse(line));
    } catch {
      // a line a log shipper cannot parse either; the page still refreshes on the next one
    }
  });
  await new Promise<void>((resolve) => {
    if (env.signal.aborted) resolve();
    env.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  stopTail();
  serve.server.closeAllConnections();
  serve.server.close();
  return { plan, report: serveStoppedReport };
};

export const upstream: CommandAction<'deploy'> = async (env, [rev]) => {
  const text = await upstreamFor(env.ports, env.config, rev!);
  return { plan: makePlan('upstream', `upstream ${rev}`, { revision: rev }, []), report: () => upstreamReport(rev!, text) };
};
