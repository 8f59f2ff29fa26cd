/**
 * `cpus` through the provider: docker/cli's ParseCPUs on create, nanoInt64ToDecimalString on read. The port lives
 * beside the Docker platform (components/platform/dockerCpus.ts), which declares the read-back form.
 */
export { cpusAsReadBack, nanoToDecimalString, parseCpus } from "../../components/platform/dockerCpus";
