// The prod environment: selected with `ristretto --env prod ...` from examples/multi-env/.
(import 'platform.libsonnet').config('prod')
