// Arguments that break naive shell quoting: used to prove words reach a remote program verbatim.
export const TRICKY = [
  'plain',
  '',
  ' leading and trailing ',
  'a;b',
  'a && b || c',
  "it's",
  "''",
  '"double"',
  '$HOME',
  '${HOME}',
  '$(id -u)',
  '`id -u`',
  'line1\nline2\n',
  '\ttab',
  '*',
  '?',
  '[a]',
  '~',
  '~root',
  'A=b',
  '-n',
  '--',
  '#not a comment',
  'back\\slash\\',
  '!',
  '{a,b}',
  'héllo ✓',
  'if',
  '>out <in 2>&1 |',
];

/** `printf '%s\0' args...` output: printf reuses its format, so each word ends with a NUL. */
export const splitNul = (s: string): string[] => s.split('\0').slice(0, -1);

/**
 * sshd_config line for startSshd({ extraConfig }): Debian's bash sources ~/.bashrc for commands run
 * by sshd (it sees SSH_CLIENT and SHLVL < 2), and root's ~/.bashrc on this machine runs
 * `pyenv init`, about 3 s per command under load. SHLVL=1 from sshd makes the login shell's level 2,
 * so bash skips it. It changes nothing else about how commands are parsed.
 */
export const SKIP_BASHRC = 'SetEnv SHLVL=1';

/** One `switch.hosts` entry for a load balancer reached through a test sshd, with its own nginx prefix. */
export function sshSwitchHost(
  i: number,
  s: { user: string; port: number; clientKeyPath: string; knownHostsPath: string },
  n: { port?: number; nginxArgs: string[]; errorLogPath: string },
  o: { file: string; test: string[]; knownHosts?: string; extra?: string[] },
): string[] {
  const argv = (...extra: string[]) => ['/usr/sbin/nginx', ...n.nginxArgs, '-e', n.errorLogPath, ...extra];
  return [
    `    - ssh: ${s.user}@127.0.0.1:${s.port}`,
    `      name: lb${i + 1}`,
    `      identityFile: ${s.clientKeyPath}`,
    `      knownHosts: ${o.knownHosts ?? s.knownHostsPath}`,
    `      file: ${o.file}`,
    `      test: ${JSON.stringify(o.test)}`,
    `      reload: ${JSON.stringify(argv('-s', 'reload'))}`,
    `      verify: { url: "http://127.0.0.1:${n.port}/", timeoutSeconds: 15 }`,
    ...(o.extra ?? []),
  ];
}
