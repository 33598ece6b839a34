// The few Dockerfile facts `deployer init` reads. Not a Dockerfile parser: instructions are read
// line by line after joining continuations, which is enough for WORKDIR, COPY and EXPOSE.

function instructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined.split(/\r?\n/).flatMap((line) => {
    const m = /^\s*([A-Za-z]+)\s+(.*?)\s*$/.exec(line);
    return m && !line.trimStart().startsWith('#') ? [{ op: m[1]!.toUpperCase(), args: m[2]! }] : [];
  });
}

const words = (args: string): string[] => {
  if (args.startsWith('[')) {
    try {
      const parsed = JSON.parse(args) as unknown;
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON form after all: split on spaces
    }
  }
  return args.split(/\s+/).filter((w) => w && !w.startsWith('--'));
};

export interface DockerfileFacts {
  /** Where the repository lands in the image: the last WORKDIR, else the `COPY . <dir>` target. */
  appDir?: string;
  /** The first EXPOSEd port. */
  port?: number;
}

export function readDockerfile(text: string): DockerfileFacts {
  let workdir: string | undefined;
  let copyDest: string | undefined;
  let port: number | undefined;
  for (const { op, args } of instructions(text)) {
    if (op === 'WORKDIR') {
      const dir = args.trim();
      workdir = dir.startsWith('/') ? dir : `${(workdir ?? '').replace(/\/$/, '')}/${dir}`;
    } else if (op === 'COPY' || op === 'ADD') {
      const w = words(args);
      if (w.length >= 2 && w.slice(0, -1).includes('.')) {
        const dest = w[w.length - 1]!;
        copyDest = dest.startsWith('/') ? dest : workdir ? `${workdir.replace(/\/$/, '')}/${dest}` : undefined;
      }
    } else if (op === 'EXPOSE' && port === undefined) {
      const n = Number(/^(\d+)/.exec(args.trim())?.[1]);
      if (Number.isInteger(n) && n > 0 && n < 65536) port = n;
    }
  }
  const appDir = (workdir ?? copyDest)?.replace(/\/\.?$/, '') || undefined;
  return { ...(appDir ? { appDir: appDir === '' ? '/' : appDir } : {}), ...(port !== undefined ? { port } : {}) };
}
