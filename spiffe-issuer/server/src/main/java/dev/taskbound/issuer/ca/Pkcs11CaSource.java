package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.config.IssuerConfig;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Function;

/**
 * A CA key held in a PKCS#11 token, reached through the JDK's SunPKCS11 provider. The key never leaves the
 * token: signing goes through the provider registered here, which the JCA picks because only it accepts the key.
 */
final class Pkcs11CaSource {
  private Pkcs11CaSource() {}

  static X509Authority load(IssuerConfig.Ca ca, Function<String, String> env) {
    IssuerConfig.Pkcs11 p11 = ca.pkcs11();
    if (p11 == null || p11.library() == null || p11.keyAlias() == null || p11.pinEnv() == null) {
      throw new IllegalArgumentException("ca.source pkcs11 needs ca.pkcs11.library, key_alias and pin_env");
    }
    String pin = env.apply(p11.pinEnv());
    if (pin == null || pin.isEmpty()) {
      throw new IllegalArgumentException("environment variable " + p11.pinEnv() + " (ca.pkcs11.pin_env) is not set");
    }
    Provider provider = provider(p11);
    try {
      KeyStore store = KeyStore.getInstance("PKCS11", provider);
      store.load(null, pin.toCharArray());
      Key key = store.getKey(p11.keyAlias(), null);
      if (!(key instanceof PrivateKey privateKey)) {
        throw new IllegalArgumentException("no private key labelled " + p11.keyAlias() + " in the PKCS#11 token");
      }
      List<X509Certificate> certs;
      if (p11.certFile() != null) {
        certs = CaChain.readCertificates(p11.certFile(), "ca.pkcs11.cert_file");
      } else {
        Certificate cert = store.getCertificate(p11.keyAlias());
        if (!(cert instanceof X509Certificate x509)) {
          throw new IllegalArgumentException(
              "no certificate labelled " + p11.keyAlias() + " in the token; set ca.pkcs11.cert_file");
        }
        certs = List.of(x509);
      }
      List<X509Certificate> chain = new java.util.ArrayList<>(certs.subList(1, certs.size()));
      chain.addAll(CaChain.readCertificates(ca.chainFile(), "ca.chain_file"));
      return CaChain.authority(privateKey, certs.get(0), chain);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot open the PKCS#11 token (wrong PIN or slot?)", e);
    }
  }

  /** One SunPKCS11 instance per module and slot, registered so delayed provider selection can reach it. */
  static synchronized Provider provider(IssuerConfig.Pkcs11 p11) {
    String name = "Taskbound-slot" + p11.slot();
    Provider existing = Security.getProvider("SunPKCS11-" + name);
    if (existing != null) {
      return existing;
    }
    Provider base = Security.getProvider("SunPKCS11");
    if (base == null) {
      throw new IllegalStateException("this JDK has no SunPKCS11 provider");
    }
    String config =
        "--name=" + name + "\nlibrary=" + p11.library().toAbsolutePath() + "\nslot=" + p11.slot() + "\n";
    Provider configured = base.configure(config);
    Security.addProvider(configured);
    return configured;
  }
}
