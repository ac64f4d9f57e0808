package io.ctxbench.gguf;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The shapes of {@code models/shapes.json} (classpath resource {@value #RESOURCE}). */
public final class ModelCatalog {

    public static final String RESOURCE = "models/shapes.json";

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Doc(@JsonProperty("shapes") List<ModelShape> shapes) {}

    private final Map<String, ModelShape> shapes;

    private ModelCatalog(List<ModelShape> list) {
        Map<String, ModelShape> m = new LinkedHashMap<>();
        for (ModelShape s : list) {
            if (m.putIfAbsent(s.name(), s) != null) {
                throw new IllegalArgumentException("duplicate shape " + s.name());
            }
        }
        shapes = Collections.unmodifiableMap(m);
    }

    /** The catalog packaged with ctxbench. */
    public static ModelCatalog load() {
        try (InputStream in = ModelCatalog.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CtxbenchException("classpath resource " + RESOURCE + " is missing");
            }
            return parse(in.readAllBytes(), RESOURCE);
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + RESOURCE + ": " + e, e);
        }
    }

    public static ModelCatalog load(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + file + ": " + e, e);
        }
    }

    private static ModelCatalog parse(byte[] json, String where) {
        try {
            Doc d = new ObjectMapper().readValue(json, Doc.class);
            if (d.shapes() == null) {
                throw new CtxbenchException(where + " has no \"shapes\" array");
            }
            return new ModelCatalog(d.shapes());
        } catch (IOException | IllegalArgumentException e) {
            throw new CtxbenchException("invalid shape catalog " + where + ": " + e.getMessage(), e);
        }
    }

    public Optional<ModelShape> get(String name) {
        return Optional.ofNullable(shapes.get(name));
    }

    public ModelShape require(String name) {
        ModelShape s = shapes.get(name);
        if (s == null) {
            throw new CtxbenchException("unknown shape '" + name + "'; known: " + String.join(", ", shapes.keySet()));
        }
        return s;
    }

    public Collection<ModelShape> all() {
        return shapes.values();
    }
}
