// The switch history, kept beside the lock on the first switch host. The live revision is the last
// entry's `to`; the rollback target is the last entry's `from` (or the one before it).

export interface HistoryEntry {
  at: string;
  by: string;
  action: 'switch' | 'rollback' | 'auto-revert';
  from: string | null;
  to: string;
  hosts: string[];
  planHash: string;
  forcedReason?: string;
}

export interface HistoryPort {
  read(): Promise<HistoryEntry[]>;
  append(entry: HistoryEntry): Promise<void>;
}
