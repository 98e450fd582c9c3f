/**
 * /metrics in Prometheus' text format (prom-client): requests by route and status, a latency
 * histogram per route, the batcher's queue depth, forward passes, images embedded, and the seconds
 * spent in forward passes and gallery searches.
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
    new Gauge({
      name: 'vgg2_forward_batches',
      help: 'Forward passes run since the start',
      registers,
      collect() {
        this.set(batcher.batches);
      },
    });
    new Gauge({
      name: 'vgg2_images_embedded',
      help: 'Images embedded since the start',
      registers,
      collect() {
        this.set(batcher.images);
      },
    });
    new Gauge({
      name: 'vgg2_forward_seconds',
      help: 'Seconds spent in forward passes since the start',
      registers,
      collect() {
        this.set(batcher.forwardSeconds);
      },
    });
    new Gauge({
      name: 'vgg2_search_seconds',
      help: "Seconds spent in the batches' gallery searches since the start",
      registers,
      collect() {
        this.set(batcher.searchSeconds);
      },
    });
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
