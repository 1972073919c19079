// Package models holds the biometric models: manifests, converters, runtime.
package models
