import picomatch from 'picomatch';

// Change classes and their precedence, stated once: infra > deps > code > none.
// - infra: the image's system layer changed (Dockerfile, system config): only a full build applies it.
// - deps:  a lockfile changed: the deps dir is removed and reinstalled.
// - code:  anything else: the changed files are copied in.
// - none:  nothing changed, or only paths under `changes.ignore`.
// A path that matches infra or deps keeps that class even when it also matches `ignore`: an ignore
// pattern must never hide a change that needs a rebuild.

export const CHANGE_CLASSES = ['none', 'code', 'deps', 'infra'] as const;
export type ChangeClass = (typeof CHANGE_CLASSES)[number];

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'typechange';

export interface RawChange {
  status: ChangeStatus;
  path: string;
  /** For renames and copies: the path before. */
  oldPath?: string;
  oldMode?: string;
  newMode?: string;
}

export interface ClassifiedChange extends RawChange {
  class: ChangeClass;
}

export interface ClassRules {
  infra: readonly string[];
  deps: readonly string[];
  ignore: readonly string[];
}

export function rank(c: ChangeClass): number {
  return CHANGE_CLASSES.indexOf(c);
}

export function maxClass(a: ChangeClass, b: ChangeClass): ChangeClass {
  return rank(a) >= rank(b) ? a : b;
}

/** Compiles the rules once; the returned function classifies one path (anchored at the repo root). */
export function compileClassifier(rules: ClassRules): (path: string) => ChangeClass {
  const opts = { dot: true };
  const none = () => false;
  const isInfra = rules.infra.length ? picomatch([...rules.infra], opts) : none;
  const isDeps = rules.deps.length ? picomatch([...rules.deps], opts) : none;
  const isIgnored = rules.ignore.length ? picomatch([...rules.ignore], opts) : none;
  return (path) => {
    if (isInfra(path)) return 'infra';
    if (isDeps(path)) return 'deps';
    if (isIgnored(path)) return 'none';
    return 'code';
  };
}

export interface Classification {
  class: ChangeClass;
  files: ClassifiedChange[];
}

/** A rename or copy counts for both its old and its new path. */
export function classifyChanges(changes: readonly RawChange[], rules: ClassRules): Classification {
  const classOf = compileClassifier(rules);
  let overall: ChangeClass = 'none';
  const files = changes.map((c) => {
    let cls = classOf(c.path);
    if (c.oldPath !== undefined && c.status === 'renamed') cls = maxClass(cls, classOf(c.oldPath));
    overall = maxClass(overall, cls);
    return { ...c, class: cls };
  });
  return { class: overall, files };
}
