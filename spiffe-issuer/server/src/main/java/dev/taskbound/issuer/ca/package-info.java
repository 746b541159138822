/**
 * Certificate authority: JCA provider choice, CA key sources (generated, PEM intermediate, PKCS#11), X.509-SVID and
 * JWT-SVID minting, signing-key rotation, the SPIFFE trust bundle and the CRL. Knows nothing of HTTP. Start at
 * {@link dev.taskbound.issuer.ca.CertificateAuthority#create}, which builds all of it from the configuration.
 */
package dev.taskbound.issuer.ca;
