export { Gallery } from './gallery';
export type {
  GalleryOpenOptions,
  ImageOptions,
  SearchHit,
  SearchOptions,
  SearchPrecision,
  SearchResult,
} from './gallery';
export { describeGalleryWeights } from './weights';
export type { GalleryWeights } from './store';
