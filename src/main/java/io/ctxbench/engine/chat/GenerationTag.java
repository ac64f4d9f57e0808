package io.ctxbench.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

import java.io.Serial;

/**
 * transformers' {@code {% generation %}...{% endgeneration %}} (its AssistantTracker extension): marks the
 * assistant's tokens for a training mask and renders its body unchanged, which is all a prompt needs.
 */
final class GenerationTag implements Tag {
    @Serial
    private static final long serialVersionUID = 1L;

    @Override
    public String getName() {
        return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder out = new StringBuilder();
        for (Node child : tagNode.getChildren()) {
            out.append(child.render(interpreter));
        }
        return out.toString();
    }
}
