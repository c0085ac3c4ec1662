import { backend_util } from '@tensorflow/tfjs';

export interface PoolGeometry {
  B: number; H: number; W: number; C: number; OH: number; OW: number;
  FH: number; FW: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
}

export function poolGeometry(o: { xShape: number[]; filterSize: number | [number, number]; strides: number | [number, number];
  pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' }): PoolGeometry {
  const i = backend_util.computePool2DInfo(o.xShape as [number, number, number, number], o.filterSize, o.strides, 1,
    o.pad, o.dimRoundingMode);
  return {
    B: i.batchSize, H: i.inHeight, W: i.inWidth, C: i.inChannels, OH: i.outHeight, OW: i.outWidth,
    FH: i.effectiveFilterHeight, FW: i.effectiveFilterWidth, sh: i.strideHeight, sw: i.strideWidth,
    dh: i.dilationHeight, dw: i.dilationWidth, pt: i.padInfo.top, pl: i.padInfo.left,
  };
}
