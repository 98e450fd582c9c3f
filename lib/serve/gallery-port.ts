/**
 * What the service needs of a gallery (lib/gallery's Gallery satisfies it): the server depends on
 * this shape only, so it can also run without a gallery (embed and verify only).
 */
export interface SearchHit {
  id: string;
  score: number;
}

export interface SearchResult {
  hits: SearchHit[];
  unknown: boolean;
}

export interface ServedGallery {
  readonly size: number;
  search(queries: Float32Array[], opts: { k?: number; threshold?: number }): Promise<SearchResult[]>;
  enroll(id: string, embeddings: Float32Array[], opts: { replace?: boolean }): Promise<void>;
  remove(id: string): Promise<void>;
  /** A small JPEG of an enrolled person, kept from one of their images (optional). */
  setThumbnail?(id: string, image: Buffer): Promise<void>;
  thumbnail?(id: string): Buffer | undefined;
}
