// The api's task definition. `env` comes from --env; the image tag from --tla-str tag=…,
// else from IMAGE_TAG, else "latest".
local platform = import 'platform.libsonnet';

function(env, tag=std.native('env')('IMAGE_TAG', 'latest'))
  platform.taskDefinition(env, 'api', [
    platform.container('api', 'public.ecr.aws/nginx/nginx:' + tag, port=80) + {
      environment: [
        { name: 'ENVIRONMENT', value: env },
        { name: 'LOG_LEVEL', value: if env == 'prod' then 'warn' else 'debug' },
      ],
    },
  ])
