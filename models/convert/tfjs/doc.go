// Package tfjs reads TensorFlow.js weights: a weights manifest
// (weights_manifest.json, or the weightsManifest of a model.json) and the
// binary shards it names.
//
// A manifest is a list of groups; each group names its shard files and the
// weights stored in them. The shards of a group are concatenated in order
// and the group's weights lie back to back in that byte stream, each taking
// (product of its shape) × (bytes per stored value). Values are
// little-endian. Stored types, as TF.js's io_utils decodeWeights reads them:
//
//   - float32, int32: as is; bool: one byte per value.
//   - quantization {"dtype":"float16"} on a float32 weight: IEEE half floats.
//   - quantization {"dtype":"uint8"|"uint16","scale":s,"min":m}: affine,
//     value = q·s + m, computed in float64 and rounded to float32 as TF.js
//     does (Math.round of it for int32 weights).
//
// The files come from outside, so every size is checked before use: negative
// dimensions, shape products that overflow, shards shorter than their
// weights and unknown types are errors naming the weight.
package tfjs
