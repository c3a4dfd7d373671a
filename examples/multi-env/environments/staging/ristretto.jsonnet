// The staging environment: selected with `ristretto --env staging ...` from examples/multi-env/.
(import 'platform.libsonnet').config('staging')
