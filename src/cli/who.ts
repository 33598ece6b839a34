import { hostname, userInfo } from 'node:os';

/**
 * Who is recorded in locks, history and test records: $DEPLOYER_WHO, else user@host (plus
 * Jenkins' BUILD_TAG), so every operator and job is named the same way everywhere.
 */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEPLOYER_WHO) return env.DEPLOYER_WHO;
  let user = env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep $USER
  }
  return `${user}@${hostname()}${env.BUILD_TAG ? ` (${env.BUILD_TAG})` : ''}`;
}
