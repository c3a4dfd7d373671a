// The dev environment: selected with `ristretto --env dev ...` from examples/multi-env/.
(import 'platform.libsonnet').config('dev')
