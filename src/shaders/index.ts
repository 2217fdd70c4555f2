// The only module that imports .wgsl files (Vite `?raw`), so the CLI, tests and browser share them.
import reduceWgsl from './util/reduce.wgsl?raw';

export const utilShaders = { reduce: reduceWgsl };

import dim2Wgsl from './common/dim2.wgsl?raw';
import dim3Wgsl from './common/dim3.wgsl?raw';
import preludeWgsl from './common/prelude.wgsl?raw';
import fixedPointWgsl from './common/fixed_point.wgsl?raw';
import mpmParamsWgsl from './mpm/params.wgsl?raw';
import mpmModelWgsl from './mpm/model.wgsl?raw';
import materialWgsl from './mpm/material.wgsl?raw';
import contactWgsl from './mpm/contact.wgsl?raw';
import gridContactsWgsl from './mpm/grid_contacts.wgsl?raw';
import p2gWgsl from './mpm/p2g.wgsl?raw';
import gridAccWgsl from './mpm/grid_acc.wgsl?raw';
import tilesWgsl from './mpm/tiles.wgsl?raw';
import gridUpdateWgsl from './mpm/grid_update.wgsl?raw';
import g2pWgsl from './mpm/g2p.wgsl?raw';
import p2gAdjWgsl from './mpm/p2g.adj.wgsl?raw';
import gridUpdateAdjWgsl from './mpm/grid_update.adj.wgsl?raw';
import g2pAdjWgsl from './mpm/g2p.adj.wgsl?raw';
import g2pAdjTermsWgsl from './mpm/g2p_adj_terms.wgsl?raw';
import adjBoundWgsl from './mpm/adj_bound.wgsl?raw';
import sortWgsl from './mpm/sort.wgsl?raw';

export const commonShaders = { dim2: dim2Wgsl, dim3: dim3Wgsl, prelude: preludeWgsl, fixedPoint: fixedPointWgsl };

export const mpmShaders = {
  params: mpmParamsWgsl,
  model: mpmModelWgsl,
  material: materialWgsl,
  contact: contactWgsl,
  gridContacts: gridContactsWgsl,
  p2g: p2gWgsl,
  gridAcc: gridAccWgsl,
  tiles: tilesWgsl,
  gridUpdate: gridUpdateWgsl,
  g2p: g2pWgsl,
  p2gAdj: p2gAdjWgsl,
  gridUpdateAdj: gridUpdateAdjWgsl,
  g2pAdj: g2pAdjWgsl,
  g2pAdjTerms: g2pAdjTermsWgsl,
  adjBound: adjBoundWgsl,
  sort: sortWgsl,
};

import lossCommonWgsl from './loss/common.wgsl?raw';
import lossComWgsl from './loss/com.wgsl?raw';
import lossRegionWgsl from './loss/region.wgsl?raw';
import lossMatchWgsl from './loss/match.wgsl?raw';
import lossPairsWgsl from './loss/pairs.wgsl?raw';

export const lossShaders = { common: lossCommonWgsl, com: lossComWgsl, region: lossRegionWgsl, match: lossMatchWgsl, pairs: lossPairsWgsl };

import pointsWgsl from './viewer/points.wgsl?raw';
import drawParamsWgsl from './viewer/draw-params.wgsl?raw';
import packWgsl from './viewer/pack.wgsl?raw';
import normalsWgsl from './viewer/normals.wgsl?raw';
import colorsWgsl from './viewer/colors.wgsl?raw';

/** The flat-disc renderer's shader, and the three.js viewer's kernels (draw-params.wgsl prepended); both take their colours from colors.wgsl. */
export const viewerShaders = { points: `${colorsWgsl}\n${pointsWgsl}`, pack: `${drawParamsWgsl}\n${colorsWgsl}\n${packWgsl}`, normals: drawParamsWgsl + normalsWgsl };

import springParamsWgsl from './springs/params.wgsl?raw';
import springModelWgsl from './springs/model.wgsl?raw';
import springIdleWgsl from './springs/idle.wgsl?raw';
import springHashWgsl from './springs/hash.wgsl?raw';
import springForcesWgsl from './springs/forces.wgsl?raw';
import springShellWgsl from './springs/shell.wgsl?raw';
import springShellAdjWgsl from './springs/shell.adj.wgsl?raw';
import springStepWgsl from './springs/step.wgsl?raw';
import springElementsWgsl from './springs/elements.wgsl?raw';
import springElementsAdjWgsl from './springs/elements.adj.wgsl?raw';
import springSlotsWgsl from './springs/slots.wgsl?raw';
import springPlasticWgsl from './springs/plastic.wgsl?raw';
import springAdjointWgsl from './springs/adjoint.wgsl?raw';
import springAdjointSplitWgsl from './springs/adjoint.split.wgsl?raw';
import springAdjointFusedWgsl from './springs/adjoint.fused.wgsl?raw';
import springAdjointTermsWgsl from './springs/adjoint.terms.wgsl?raw';
import springAdjointPreWgsl from './springs/adjoint.pre.wgsl?raw';
import springTermsWgsl from './springs/terms.wgsl?raw';
import springGridWgsl from './springs/grid.wgsl?raw';
import springContactWgsl from './springs/contact.wgsl?raw';
import springContactTriWgsl from './springs/contact.tri.wgsl?raw';
import springContactElementsWgsl from './springs/contact.elements.wgsl?raw';
import springContactAdjWgsl from './springs/contact.adj.wgsl?raw';
import springContactTriAdjWgsl from './springs/contact.tri.adj.wgsl?raw';
import springContactElementsAdjWgsl from './springs/contact.elements.adj.wgsl?raw';
import springContactTriFusedWgsl from './springs/contact.tri.fused.wgsl?raw';

export const springShaders = {
  params: springParamsWgsl,
  model: springModelWgsl,
  idle: springIdleWgsl,
  hash: springHashWgsl,
  forces: springForcesWgsl,
  shell: springShellWgsl,
  shellAdj: springShellAdjWgsl,
  step: springStepWgsl,
  elements: springElementsWgsl,
  elementsAdj: springElementsAdjWgsl,
  slots: springSlotsWgsl,
  plastic: springPlasticWgsl,
  adjoint: springAdjointWgsl,
  adjointSplit: springAdjointSplitWgsl,
  adjointFused: springAdjointFusedWgsl,
  adjointTerms: springAdjointTermsWgsl,
  adjointPre: springAdjointPreWgsl,
  terms: springTermsWgsl,
  grid: springGridWgsl,
  contact: springContactWgsl,
  contactTri: springContactTriWgsl,
  contactElements: springContactElementsWgsl,
  contactAdj: springContactAdjWgsl,
  contactTriAdj: springContactTriAdjWgsl,
  contactElementsAdj: springContactElementsAdjWgsl,
  contactTriFused: springContactTriFusedWgsl,
};

import controlFeaturesWgsl from './control/features.wgsl?raw';
import controlMlpCommonWgsl from './control/mlp_common.wgsl?raw';
import controlMlpWgsl from './control/mlp.wgsl?raw';
import controlMlpAdjWgsl from './control/mlp.adj.wgsl?raw';
import controlCopyWgsl from './control/copy.wgsl?raw';

export const controlShaders = {
  features: controlFeaturesWgsl,
  mlpCommon: controlMlpCommonWgsl,
  mlp: controlMlpWgsl,
  mlpAdj: controlMlpAdjWgsl,
  copy: controlCopyWgsl,
};
