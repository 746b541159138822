package dev.taskbound.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

/**
 * Java serialization through a filter that, like Jenkins' remoting class filter for classes of library jars
 * (JEP-200), refuses every class that is not the JDK's.
 */
final class JdkOnlyChannel {
  private JdkOnlyChannel() {}

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    } catch (java.io.NotSerializableException e) {
      // What remoting reports for a class it cannot carry is a rejection on the far side; make it the same here.
      throw new java.io.InvalidClassException(e.getMessage(), "not serializable");
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      in.setObjectInputFilter(info -> info.serialClass() == null || isJdk(info.serialClass())
          ? ObjectInputFilter.Status.ALLOWED : ObjectInputFilter.Status.REJECTED);
      return (T) in.readObject();
    }
  }

  private static boolean isJdk(Class<?> type) {
    Class<?> c = type;
    while (c.isArray()) {
      c = c.getComponentType();
    }
    return c.isPrimitive() || c.getName().startsWith("java.");
  }
}
