import Docker from 'dockerode';
import { KilnError } from '../../domain/errors';
import { SETUP_COMMAND } from '../../domain/project-paths';

let client: Docker | undefined;

/** One dockerode client per process; DOCKER_HOST (unix://...) or the default socket. */
export function docker(): Docker {
  if (!client) {
    const host = process.env.DOCKER_HOST;
    client = host?.startsWith('unix://') ? new Docker({ socketPath: host.slice('unix://'.length) }) : new Docker();
  }
  return client;
}

export async function checkDockerEngine(): Promise<void> {
  try {
    await docker().ping();
  } catch (err) {
    throw new KilnError('DOCKER_UNAVAILABLE', `the Docker engine does not answer (${String(err)}): run \`${SETUP_COMMAND}\``);
  }
}

export async function requireImage(tag: string): Promise<void> {
  try {
    await docker().getImage(tag).inspect();
  } catch {
    throw new KilnError('BUILDER_IMAGE_MISSING', `image ${tag} is not in the Docker engine: run \`${SETUP_COMMAND}\``);
  }
}
