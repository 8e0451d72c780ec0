import { requireMaven } from './prereqs.js';
import { runOrFail, serialized } from './process.js';

/**
 * Maven's local repository is not safe for two concurrent downloads of the same plugin, and on
 * a fresh machine Kafka's and Elasticsearch's installs both start by fetching the dependency
 * plugin: every Maven run goes through one queue.
 */
export function runMaven(what: string, args: string[], cwd: string): Promise<void> {
  return serialized('maven', async () => {
    const mvn = requireMaven();
    await runOrFail(what, mvn, ['-q', '-B', ...args], { cwd });
  });
}

export function renderPom(coordinates: { groupId: string; artifactId: string; version: string }[]): string {
  const dependencies = coordinates
    .map(
      ({ groupId, artifactId, version }) => `    <dependency>
      <groupId>${groupId}</groupId>
      <artifactId>${artifactId}</artifactId>
      <version>${version}</version>
    </dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by the FoodXchange infra launcher: only used to download jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.foodxchange.infra</groupId>
  <artifactId>jars</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
}
