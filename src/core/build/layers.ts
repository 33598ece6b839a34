import { PreconditionError } from '../errors.js';

// The engine stops at 125 layers: moby's layer store refuses to register a layer whose parent is
// already 125 deep ("max depth exceeded", HTTP 500 on commit), measured on this engine's overlay2
// (docs/traps.md §2). Empty-layer commits count too. A delta adds exactly one layer, so a delta
// on a base of N layers needs N + 1 <= build.maxLayers (default 120, leaving room for a margin).

export const ENGINE_MAX_LAYERS = 125;

export interface LayerBudget {
  base: number;
  after: number;
  max: number;
  remaining: number;
}

export function layerBudget(baseLayers: number, maxLayers: number): LayerBudget {
  const after = baseLayers + 1;
  return { base: baseLayers, after, max: maxLayers, remaining: maxLayers - after };
}

export function checkLayerBudget(baseRef: string, baseLayers: number, maxLayers: number): LayerBudget {
  const b = layerBudget(baseLayers, maxLayers);
  if (b.after > maxLayers) {
    throw new PreconditionError(`a delta on ${baseRef} would have ${b.after} layers, more than build.maxLayers (${maxLayers})`, {
      hint: 'run `deployer full-build` to start again from a fresh full image (the engine stops at 125 layers)',
      details: [`base layers: ${baseLayers}`, `engine limit: ${ENGINE_MAX_LAYERS}`],
      code: 'build.layers',
    });
  }
  return b;
}
