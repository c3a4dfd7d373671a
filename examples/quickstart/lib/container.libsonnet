// A small container library: every container gets the same logging and a memory reservation.
{
  container(name, image, port=null, memory=128):: {
    name: name,
    image: image,
    essential: true,
    memoryReservation: memory,
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/ecs/quickstart',
        'awslogs-region': 'ap-northeast-1',
        'awslogs-stream-prefix': name,
      },
    },
  } + (if port == null then {} else {
         portMappings: [{ containerPort: port, protocol: 'tcp' }],
       }),
}
