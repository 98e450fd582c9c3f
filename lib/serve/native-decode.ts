/**
 * The service's fast path for JPEGs: the images the batcher decodes together between two forward
 * passes go through one decodeBatch call (libjpeg-turbo with DCT-domain downscaling, straight to the
 * size×size window, on native threads), as the loader's and `embed`'s do — so a served embedding of
 * a JPEG is `vgg2-torch embed`'s bit for bit. One sharp pipeline per image cost ~3.5 ms of CPU
 * (decode at full size, then resize), a quarter of the forward pass's share per image on 2 cores.
 * Requests made in the same turn of the event loop are coalesced into one call.
 */
import * as os from 'os';
import type { DecodeSpec, NativeBinding } from '../native';

interface Pending {
  spec: DecodeSpec;
  resolve: (px: Uint8Array | undefined) => void;
  reject: (e: Error) => void;
}

export class CoalescingDecoder {
  private pending: Pending[] = [];

  constructor(
    private readonly binding: NativeBinding,
    readonly size: number,
    /** Decoding threads (default every core: the model is idle while a batch decodes). */
    private readonly threads = os.availableParallelism(),
  ) {}

  /** The window's size×size×3 pixels, or undefined when the native decoder gives up on the file (use sharp). */
  decode(spec: DecodeSpec): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ spec, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const stride = this.size * this.size * 3;
    const out = Buffer.alloc(batch.length * stride);
    try {
      // Slot k's window lands at k·stride (decodeBatch's default offset).
      const failed = await this.binding.decodeBatch(
        batch.map((p) => p.spec),
        out,
        this.size,
        { threads: this.threads },
      );
      batch.forEach((p, k) => p.resolve(failed[k] === null ? out.subarray(k * stride, (k + 1) * stride) : undefined));
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
    }
  }
}
