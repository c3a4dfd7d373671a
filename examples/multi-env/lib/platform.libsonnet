// The team's shared library: what differs between environments, and how a container, a task
// definition and a service are built. Every service and environment file imports this.
{
  // Everything that differs between environments lives here, in one place.
  environments:: {
    dev: { cluster: 'dev', desiredCount: 1, cpu: '256', memory: '512', logRouter: false },
    staging: { cluster: 'staging', desiredCount: 2, cpu: '512', memory: '1024', logRouter: false },
    prod: { cluster: 'prod', desiredCount: 4, cpu: '1024', memory: '2048', logRouter: true },
  },

  settings(env):: if std.objectHas(self.environments, env)
  then self.environments[env]
  else error 'unknown environment %s (known: %s)' % [env, std.join(', ', std.objectFields(self.environments))],

  // The config of one environment: both services on the environment's cluster.
  config(env):: {
    region: std.native('env')('AWS_REGION', 'ap-northeast-1'),
    cluster: $.settings(env).cluster,
    timeout: '10m',
    lock: { dynamodb_table: 'ristretto-locks', lease: '60s' },
    services: {
      api: {
        task_definition: '../../services/api/task.jsonnet',
        service_definition: '../../services/api/service.jsonnet',
      },
      worker: {
        task_definition: '../../services/worker/task.jsonnet',
        service_definition: '../../services/worker/service.jsonnet',
      },
    },
  },

  container(name, image, port=null, memory=128):: {
    name: name,
    image: image,
    essential: true,
    memoryReservation: memory,
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/ecs/' + name,
        'awslogs-region': 'ap-northeast-1',
        'awslogs-stream-prefix': name,
      },
    },
  } + (if port == null then {} else { portMappings: [{ containerPort: port, protocol: 'tcp' }] }),

  // A FireLens log router, run next to the application in prod only.
  logRouter:: {
    name: 'log-router',
    image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
    essential: false,
    memoryReservation: 64,
    firelensConfiguration: { type: 'fluentbit' },
  },

  taskDefinition(env, family, containers):: {
    family: '%s-%s' % [family, env],
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: $.settings(env).cpu,
    memory: $.settings(env).memory,
    containerDefinitions: containers + (if $.settings(env).logRouter then [$.logRouter] else []),
    tags: [{ key: 'environment', value: env }],
  },

  service(env, desiredCount=null):: {
    launchType: 'FARGATE',
    desiredCount: if desiredCount == null then $.settings(env).desiredCount else desiredCount,
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    },
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [std.native('env')('SUBNET_ID', 'subnet-0123456789abcdef0')],
        assignPublicIp: 'DISABLED',
      },
    },
    tags: [{ key: 'environment', value: env }],
  },
}
