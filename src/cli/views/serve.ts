import type { Report } from '../command.js';

// `deployer serve` once stopped, and `deployer upstream <rev>`.

export const serveStoppedReport = (): Report => ({ text: 'deployer serve: stopped', json: { command: 'serve', stopped: true } });

export const upstreamReport = (revision: string, text: string): Report => ({ text, json: { command: 'upstream', revision, text } });
