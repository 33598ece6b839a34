import { dockerignoreMatcher } from '../../core/build/dockerignore.js';
import { StepFailedError } from '../../core/errors.js';
import type { BuildRequest } from '../../ports/images.js';
import { registryHeader, type EngineApi } from './engine-api.js';
import { engineError } from './engine-errors.js';
import { filterTar } from './context.js';
import { DockerStreamError, followStream, type ProgressEvent } from './progress.js';

// `docker build` through the API (classic builder). The engine reports a failing RUN inside the
// 200 response as an {error} frame; followStream checks every frame, and success is proven only by
// the aux.ID frame. The failing instruction is named from the last "Step N/M : ..." line.

const TAIL_LINES = 20;

export async function buildImage(api: EngineApi, req: BuildRequest, registryConfig: Record<string, { username: string; password: string }> | undefined): Promise<{ id: string }> {
  const tail: string[] = [];
  let step: string | undefined;
  let pendingLine = '';
  const onLine = (line: string) => {
    if (/^Step \d+\/\d+ : /.test(line)) step = line;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    req.onLine?.(line);
  };
  const onEvent = (e: ProgressEvent) => {
    if (e.stream === undefined) return;
    const text = pendingLine + e.stream;
    const lines = text.split('\n');
    pendingLine = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') onLine(l.replace(/\r$/, ''));
  };
  // The engine needs the Dockerfile and .dockerignore even when they are excluded; it drops them
  // from what COPY sees itself, as `docker build` does.
  const excluded = dockerignoreMatcher(req.exclude);
  const keep = (p: string) => p === req.dockerfile || p === '.dockerignore' || !excluded(p);
  const context = req.exclude.length ? filterTar(req.context, keep) : req.context;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await api.stream({
      method: 'POST',
      path: '/build',
      query: {
        t: req.tag,
        dockerfile: req.dockerfile,
        labels: JSON.stringify(req.labels),
        buildargs: JSON.stringify(req.buildArgs),
        rm: true,
        forcerm: true,
        pull: false,
      },
      tar: context as unknown as NodeJS.ReadableStream,
      headers: registryConfig ? { 'X-Registry-Config': registryHeader(registryConfig) } : {},
      signal: req.signal,
    });
  } catch (e) {
    if (req.signal.aborted) throw req.signal.reason;
    throw engineError(`build ${req.tag}`, e);
  }
  let events: ProgressEvent[];
  try {
    events = await followStream(stream, onEvent);
  } catch (e) {
    if (pendingLine.trim()) onLine(pendingLine);
    if (req.signal.aborted) throw req.signal.reason;
    const message = e instanceof DockerStreamError ? e.message.trim() : (e as Error).message;
    throw new StepFailedError(`build of ${req.tag} failed${step ? ` at ${step}` : ''}: ${message}`, {
      details: tail.map((l) => `| ${l}`),
      hint: 'fix the Dockerfile or the failing command, then run the build again',
      cause: e,
      code: 'build.failed',
    });
  }
  if (pendingLine.trim()) onLine(pendingLine);
  const id = events.find((e) => e.aux?.ID)?.aux?.ID;
  if (!id) {
    throw new StepFailedError(`build of ${req.tag} ended without an image id (the engine's stream was cut short)`, {
      details: tail.map((l) => `| ${l}`),
      code: 'build.failed',
    });
  }
  return { id };
}
