// The service definition: the input of `aws ecs create-service` without cluster, serviceName
// and taskDefinition (the config and the task definition decide those).
{
  launchType: 'FARGATE',
  desiredCount: 2,
  deploymentConfiguration: {
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: true, rollback: true },
  },
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: [std.native('must_env')('SUBNET_ID')],
      assignPublicIp: 'DISABLED',
    },
  },
}
