// The browser page's script for qdq-webgpu.test.ts: runs .onnx models from the test's server in onnxruntime-web on
// one execution provider (wasm or WebGPU) and hands the outputs back, so the test compares the two.
import * as ort from 'onnxruntime-web';

export interface QdqRequest { models: { url: string; dims: number[]; input: string }[]; executionProvider: 'wasm' | 'webgpu'; optimization?: 'disabled' | 'basic' | 'all' }
export interface QdqReport { unavailable: string | null; outputs: Record<string, number[]>; adapter: string }

async function runQdq(request: QdqRequest): Promise<QdqReport> {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const webgpu = request.executionProvider === 'webgpu';
  if (webgpu && !(navigator as Navigator & { gpu?: unknown }).gpu) return { unavailable: 'navigator.gpu is missing', outputs: {}, adapter: '' };
  const outputs: Record<string, number[]> = {};
  for (const { url, dims, input } of request.models) {
    const x = new Float32Array(await (await fetch(input)).arrayBuffer());
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: [request.executionProvider], graphOptimizationLevel: request.optimization ?? 'all' });
    } catch (e) {
      if (webgpu) return { unavailable: (e as Error).message, outputs: {}, adapter: '' };
      throw e;
    }
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, dims) });
    // Every output, one after another.
    outputs[url] = session.outputNames.flatMap((n) => Array.from(result[n]!.data as Float32Array));
    await session.release();
  }
  const device = webgpu ? await (ort.env.webgpu as { device?: Promise<{ adapterInfo?: { vendor?: string; description?: string } }> }).device : undefined;
  return { unavailable: null, outputs, adapter: device?.adapterInfo ? [device.adapterInfo.vendor, device.adapterInfo.description].filter(Boolean).join(' ') || 'webgpu' : '' };
}

(globalThis as { runQdq?: typeof runQdq }).runQdq = runQdq;
