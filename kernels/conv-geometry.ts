import { backend_util } from '@tensorflow/tfjs';
import { ShrinkmlError } from '../src/core/errors.js';

/** Everything a conv kernel needs, NHWC, dilation 1 (tfjs computes no conv gradients with dilation > 1). */
export interface ConvGeometry {
  B: number; H: number; W: number; Ci: number;
  OH: number; OW: number; Co: number;
  FH: number; FW: number; sh: number; sw: number; pt: number; pl: number;
  /** Depthwise channel multiplier (1 for a regular conv). */
  M: number;
}

export interface ConvGeometryOptions {
  op: string;
  xShape: number[];
  filterShape: number[];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  depthwise?: boolean;
}

export function convGeometry(o: ConvGeometryOptions): ConvGeometry {
  if (o.dataFormat === 'NCHW') {
    throw new ShrinkmlError('UNSUPPORTED', `kernels/${o.op}: only NHWC (channelsLast) is implemented`);
  }
  const d = o.dilations ?? 1;
  if ((Array.isArray(d) ? d : [d, d]).some((v) => v !== 1)) {
    throw new ShrinkmlError('UNSUPPORTED', `kernels/${o.op}: dilations other than 1 are not implemented`);
  }
  const info = backend_util.computeConv2DInfo(
    o.xShape as [number, number, number, number], o.filterShape as [number, number, number, number],
    o.strides, 1, o.pad, o.dimRoundingMode, o.depthwise ?? false, 'channelsLast',
  );
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, Ci: info.inChannels,
    OH: info.outHeight, OW: info.outWidth, Co: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    pt: info.padInfo.top, pl: info.padInfo.left,
    M: o.depthwise ? o.filterShape[3]! : 1,
  };
}

/** The geometry as the flat argument list the wasm conv kernels take after their pointers. */
export function convArgs(g: ConvGeometry, depthwise: boolean): number[] {
  return depthwise
    ? [g.B, g.H, g.W, g.Ci, g.M, g.OH, g.OW, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl]
    : [g.B, g.H, g.W, g.Ci, g.OH, g.OW, g.Co, g.FH, g.FW, g.sh, g.sw, g.pt, g.pl];
}
