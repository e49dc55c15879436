// Package config turns defaults, storage-agent.toml, the environment and
// command-line flags into one validated, typed Config.
//
// The layers apply in this order, each overriding the one before:
//
//  1. the built-in defaults (Default), so no file is needed to start;
//  2. the TOML file given to Load, with kebab-case keys;
//  3. environment variables named STORAGE_AGENT_ + the key path, levels
//     joined by "__" and hyphens written as "_"
//     (STORAGE_AGENT_SESSION__MAX_SESSIONS=8 sets session.max-sessions);
//  4. overrides from command-line flags, one per dotted key (Keys).
//
// Decoding is strict: a key the Config does not know is an error in every
// layer, so a typo never silently falls back to a default. Every error names
// the full dotted key and, where it helps, the layer it came from. Validate
// checks the decoded values separately and reports every problem at once.
//
// A Config is plain data; the package keeps no state of its own.
package config
