package dev.taskbound.issuer.store;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * The schema's migration scripts, named, for Flyway to read instead of scanning the class path for them (which walks
 * every entry of the issuer's 49 MB jar). Shared scripts are in {@code db/migration}; those a database needs in its
 * own dialect in {@code db/<database>} (V8, V13: triggers). {@code MigrationsTest} fails when a script there is not listed.
 */
final class Migrations implements ResourceProvider {
  private static final String SHARED_DIRECTORY = "db/migration/";
  private static final List<String> SHARED =
      List.of(
          "V1__init.sql", "V2__evidence.sql", "V3__exchange.sql", "V4__signals.sql", "V5__end_receipts.sql",
          "V6__control_token_lookup.sql", "V7__replicas.sql", "V9__approval_requests.sql",
          "V10__standing_exceptions.sql", "V11__drop_control_token_lookup.sql", "V12__partial_revoked_index.sql");
  /** In each database's own directory, under the same name. */
  private static final List<String> DIALECT = List.of("V8__replica_triggers.sql", "V13__ends_without_receipt.sql");

  private final List<Script> scripts;

  Migrations(Database database) {
    String dialectDirectory = directory(database);
    scripts =
        Stream.concat(
                SHARED.stream().map(name -> new Script(SHARED_DIRECTORY, name)),
                DIALECT.stream().map(name -> new Script(dialectDirectory, name)))
            .toList();
  }

  /** The class-path directory of the scripts in {@code database}'s own dialect. */
  static String directory(Database database) {
    return "db/" + database.name().toLowerCase(Locale.ROOT) + "/";
  }

  /** Flyway asks for a script's companion ({@code <script>.conf}) by its name; we have none. */
  @Override
  public LoadableResource getResource(String name) {
    return scripts.stream().filter(script -> script.getRelativePath().equals(name)).findFirst().orElse(null);
  }

  @Override
  public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
    return scripts.stream()
        .filter(script -> script.name.startsWith(prefix) && Arrays.stream(suffixes).anyMatch(script.name::endsWith))
        .map(LoadableResource.class::cast)
        .toList();
  }

  /**
   * One script, named as Flyway's class-path scan names it (relative to its directory), so that the schema history
   * written by either agrees.
   */
  private static final class Script extends LoadableResource {
    private final String path;
    private final String name;

    Script(String directory, String name) {
      this.path = directory + name;
      this.name = name;
    }

    @Override
    public Reader read() {
      InputStream in = Migrations.class.getClassLoader().getResourceAsStream(path);
      if (in == null) {
        throw new FlywayException("migration " + path + " is not on the class path");
      }
      // Strict, as Flyway's own reader: a script that is not UTF-8 fails rather than migrating replacement characters.
      return new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder());
    }

    @Override
    public String getAbsolutePath() {
      return path;
    }

    @Override
    public String getAbsolutePathOnDisk() {
      URL url = Migrations.class.getClassLoader().getResource(path);
      return url == null ? path : url.getPath();
    }

    @Override
    public String getFilename() {
      return name;
    }

    @Override
    public String getRelativePath() {
      return name;
    }
  }
}
