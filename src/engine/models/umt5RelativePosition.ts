/**
 * T5's bucketed relative positions (Mesh TensorFlow's scheme, as transformers'
 * `UMT5Attention._relative_position_bucket` computes it for the bidirectional encoder). The
 * bucket depends only on `key − query`, and every distance of at least `maxDistance` shares the
 * last bucket, so one table over offsets −maxDistance…+maxDistance serves any sequence length:
 * the graph clips the offset into that range and looks the bucket up.
 */

/**
 * Bucket of one relative position (`memory_position − query_position`), bidirectional:
 * half the buckets for keys to the left, half for keys to the right; within a half, exact buckets
 * for offsets below a quarter of `numBuckets`, logarithmic ones after that up to `maxDistance`.
 * The logarithm is evaluated in float32 steps and truncated, exactly as torch does it, so the
 * bucket edges (8, 12, 16, 23, 32, 46, 64, 91 for 32 buckets / 128) match.
 */
export function relativePositionBucket(relativePosition: number, numBuckets: number, maxDistance: number): number {
  const f = Math.fround;
  const half = numBuckets / 2;
  let bucket = relativePosition > 0 ? half : 0;
  const distance = Math.abs(relativePosition);
  const maxExact = half / 2;
  if (distance < maxExact) return bucket + distance;
  // torch: log(rp.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets − max_exact), then .long()
  const logRatio = f(f(f(Math.log(f(distance / maxExact))) / Math.log(maxDistance / maxExact)) * (half - maxExact));
  bucket += Math.min(maxExact + Math.trunc(logRatio), half - 1);
  return bucket;
}

/**
 * Buckets for offsets −maxDistance…+maxDistance (index = offset + maxDistance). Offsets
 * beyond the range share the end entries' buckets.
 */
export function relativeBucketTable(numBuckets: number, maxDistance: number): number[] {
  const table: number[] = [];
  for (let offset = -maxDistance; offset <= maxDistance; offset++) table.push(relativePositionBucket(offset, numBuckets, maxDistance));
  return table;
}
