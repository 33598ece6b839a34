// Measures the engine's layer limit (not a test): commits one small layer after another, starting
// from the busybox base, until the engine refuses; prints the last layer count that worked and the
// refusal. This is where build.maxLayers' ceiling (125 on overlay2, moby's maxLayerDepth) comes
// from. Run: `npx tsx bench/layer-limit.ts`. Every image it makes is removed at the end.
import Docker from 'dockerode';
import { execa } from 'execa';

const docker = new Docker();
const repo = `deployer-bench/layers-${process.pid}`;
let image = 'deployer-base/busybox:latest';
let layers = (await docker.getImage(image).inspect()).RootFS?.Layers?.length ?? 0;
let refusal = '';
try {
  for (let i = 1; i <= 200; i++) {
    const c = await docker.createContainer({ Image: image, Entrypoint: ['sh', '-c', `echo ${i} > /layer${i}`], Cmd: [] });
    try {
      await c.start();
      await c.wait();
      await c.commit({ repo, tag: String(i) });
    } catch (e) {
      refusal = (e as Error).message;
      break;
    } finally {
      await c.remove({ force: true }).catch(() => {});
    }
    image = `${repo}:${i}`;
    layers = (await docker.getImage(image).inspect()).RootFS?.Layers?.length ?? layers;
  }
  console.log(`last image that committed: ${layers} layers`);
  console.log(`next commit: ${refusal || 'no refusal up to 200 layers'}`);
} finally {
  const tags = (await execa('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${repo}`])).stdout.split('\n').filter(Boolean);
  for (const t of tags.reverse()) await execa('docker', ['rmi', t], { reject: false });
}
