import { shortSha } from '../image-ref.js';

// Marathon ids are slash paths; each environment is its own app under the configured prefix, so
// blue and green never share an app (and never lock each other's deployments).

export function marathonAppId(appPrefix: string, revision: string): string {
  return `${appPrefix.replace(/\/+$/, '')}/${shortSha(revision)}`;
}

/** `/v2/apps/web-app/3f2a9c1e0b7d`: the id is appended as a path (docs/marathon-api.md §0). */
export function appPath(appId: string): string {
  return `/v2/apps${appId.startsWith('/') ? appId : `/${appId}`}`;
}
