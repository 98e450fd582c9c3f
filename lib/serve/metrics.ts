/**
 * /metrics in Prometheus' text format (prom-client): requests by route and status, a latency
 * histogram per route, the batcher's queue depth (a gauge), and counters of forward passes,
 * images embedded and the seconds spent in forward passes and gallery searches.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Batcher } from './batcher';

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route'>;

  constructor(batcher: Batcher) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'vgg2_http_requests_total',
      help: 'HTTP requests by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'vgg2_http_request_duration_seconds',
      help: 'Request latency by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({
      name: 'vgg2_queue_depth',
      help: 'Images waiting for a forward pass',
      registers,
      collect() {
        this.set(batcher.depth);
      },
    });
    // Totals since the start are counters (a `_total` name, `# TYPE counter`), so rate() applies;
    // the batcher keeps them, and each scrape reads them.
    const total = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    total('vgg2_forward_batches_total', 'Forward passes run since the start', () => batcher.batches);
    total('vgg2_images_embedded_total', 'Images embedded since the start', () => batcher.images);
    total(
      'vgg2_forward_seconds_total',
      'Seconds spent in forward passes since the start',
      () => batcher.forwardSeconds,
    );
    total(
      'vgg2_search_seconds_total',
      "Seconds spent in the batches' gallery searches since the start",
      () => batcher.searchSeconds,
    );
  }

  observe(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The value of an unlabelled sample `name` in Prometheus text (NaN when absent). */
export function metricValue(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}
