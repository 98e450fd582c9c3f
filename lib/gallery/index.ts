export { Gallery } from './gallery';
export type { GalleryOpenOptions, ImageOptions, SearchHit, SearchOptions, SearchResult } from './gallery';
export { describeGalleryWeights } from './weights';
export type { GalleryWeights } from './store';
