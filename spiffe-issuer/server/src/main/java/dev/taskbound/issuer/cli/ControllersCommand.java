package dev.taskbound.issuer.cli;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.taskbound.issuer.attest.AttestationException;
import dev.taskbound.issuer.attest.ControllerJwks;
import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code taskbound-issuer controllers add|list|remove}: registers the Jenkins controllers whose run statements
 * the {@code jenkins} attestor accepts. The store comes from the caller (the top-level CLI opens it from its
 * configuration), so this class knows nothing about config files.
 */
@Command(
    name = "controllers",
    description = "Register, list and remove Jenkins controllers trusted to sign run statements.",
    mixinStandardHelpOptions = true,
    subcommands = {
      ControllersCommand.Add.class,
      ControllersCommand.ListControllers.class,
      ControllersCommand.Remove.class
    })
public final class ControllersCommand implements Callable<Integer> {
  static final int FAILED = 1;

  private final Supplier<Store> store;
  private final JwksFetcher fetcher;
  private final Clock clock;

  @Spec CommandSpec spec;

  /**
   * @param store opens the store; each subcommand closes what it was given when done
   * @param fetcher fetches a controller's JWKS URL once at registration, to validate it
   */
  public ControllersCommand(Supplier<Store> store, JwksFetcher fetcher, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public ControllersCommand(Supplier<Store> store) {
    this(store, JwksFetcher.withDefaults(), Clock.systemUTC());
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return CommandLine.ExitCode.USAGE;
  }

  @Command(name = "add", description = "Register (or replace) a controller with its public signing keys.")
  static final class Add implements Callable<Integer> {
    @ParentCommand ControllersCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Controller name; run statements carry it as iss.")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "1")
    KeySource keys;

    @Option(
        names = "--no-fetch",
        description = "With --jwks-url: register without fetching the keys now (controller not reachable yet).")
    boolean noFetch;

    static final class KeySource {
      @Option(names = "--jwks", paramLabel = "FILE", description = "JWKS file with the controller's public keys.")
      Path file;

      @Option(names = "--jwks-url", paramLabel = "URL", description = "HTTPS URL where the controller publishes its JWKS.")
      String url;
    }

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
        err.println("error: controller name must be 1-128 of [A-Za-z0-9._-], starting with a letter or digit");
        return FAILED;
      }
      ControllerRecord record;
      try {
        record = keys.file != null ? fromFile() : fromUrl();
      } catch (IllegalArgumentException | AttestationException e) {
        err.println("error: " + e.getMessage());
        return FAILED;
      }
      try (Store store = parent.store.get()) {
        store.putController(record);
      }
      spec.commandLine().getOut().println("registered controller " + name);
      return CommandLine.ExitCode.OK;
    }

    private ControllerRecord fromFile() {
      String json;
      try {
        json = Files.readString(keys.file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + keys.file + ": " + e.getClass().getSimpleName());
      }
      JWKSet set = ControllerJwks.parse(json);
      // Store the validated public form, not the file as given.
      return new ControllerRecord(name, set.toString(true), null, parent.clock.instant());
    }

    private ControllerRecord fromUrl() {
      URI uri = JwksFetcher.checkedUri(keys.url);
      if (!noFetch) {
        // The fetcher returns public parts only, so a published private key is caught on the raw document.
        ControllerJwks.parse(parent.fetcher.fetchRawJwks(uri));
      }
      return new ControllerRecord(name, null, uri.toString(), parent.clock.instant());
    }
  }

  @Command(name = "list", description = "List registered controllers.")
  static final class ListControllers implements Callable<Integer> {
    @ParentCommand ControllersCommand parent;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (Store store = parent.store.get()) {
        java.util.List<ControllerRecord> controllers = store.listControllers();
        if (controllers.isEmpty()) {
          out.println("no controllers registered");
        }
        for (ControllerRecord c : controllers) {
          String keys = c.jwksUrl() != null ? "jwks-url " + c.jwksUrl() : "inline jwks (" + kids(c.jwksJson()) + ")";
          out.println(c.name() + "\t" + keys + "\tregistered " + c.registeredAt());
        }
      }
      return CommandLine.ExitCode.OK;
    }

    private static String kids(String json) {
      try {
        return "kid " + String.join(", ", ControllerJwks.parse(json).getKeys().stream().map(JWK::getKeyID).toList());
      } catch (IllegalArgumentException e) {
        return "invalid: " + e.getMessage();
      }
    }
  }

  @Command(name = "remove", description = "Remove a controller; its run statements are refused from then on.")
  static final class Remove implements Callable<Integer> {
    @ParentCommand ControllersCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      try (Store store = parent.store.get()) {
        if (!store.removeController(name)) {
          spec.commandLine().getErr().println("error: no controller named " + name);
          return FAILED;
        }
      }
      spec.commandLine().getOut().println("removed controller " + name);
      return CommandLine.ExitCode.OK;
    }
  }
}
