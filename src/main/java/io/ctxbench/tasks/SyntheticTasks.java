package io.ctxbench.tasks;

import io.ctxbench.CtxbenchException;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Long-context tasks generated from a seed, with exact answers, at any context length (in words; about 1.3
 * tokens per word for Llama-style tokenizers), for measuring quality where no real data set is at hand.
 * <ul>
 * <li>{@code needle_qa}: one long document of filler sentences with a fact ("The access code of the amber fox
 * vault is 48213.") at a random depth and two distractor facts of the same form about other vaults; the question
 * asks for the one code.</li>
 * <li>{@code multihop_qa}: several passages; one says which company a person works for, another (a different
 * passage) where that company is headquartered, with distractor people and companies; the question needs both
 * facts ("In which city is the company that X works for headquartered?").</li>
 * </ul>
 * The same (task, seed, index, words) always gives the same sample.
 */
public final class SyntheticTasks {
    public static final List<String> TASKS = List.of("needle_qa", "multihop_qa");

    private static final String[] SUBJECTS = {"The committee", "A local farmer", "The old bridge", "Our team", "The river",
            "A quiet village", "The museum", "The weather station", "An engineer", "The library", "The harbor", "A young painter",
            "The council", "The factory", "A traveling musician", "The orchard", "The school", "A retired teacher"};
    private static final String[] VERBS = {"reviewed", "described", "ignored", "repaired", "celebrated", "measured",
            "visited", "discussed", "painted", "recorded", "studied", "planned", "organized", "questioned", "photographed"};
    private static final String[] OBJECTS = {"the annual report", "the northern road", "a collection of maps",
            "the spring festival", "the water supply", "an unusual storm", "the train schedule", "several old letters",
            "the market prices", "a new garden", "the town records", "the evening lecture", "the fishing boats"};
    private static final String[] TAILS = {"before noon", "with some care", "for the third time", "without much interest",
            "after a long delay", "during the winter", "in great detail", "at the end of the week", "despite the rain",
            "for the visitors", "as usual"};
    private static final String[] COLORS = {"amber", "cobalt", "crimson", "ivory", "jade", "scarlet", "silver", "violet",
            "olive", "copper", "teal", "golden"};
    private static final String[] ANIMALS = {"fox", "heron", "otter", "falcon", "badger", "lynx", "walrus", "raven",
            "bison", "gecko", "marten", "pelican"};
    private static final String[] FIRST = {"Alice", "Boris", "Chandra", "Dmitri", "Elena", "Farid", "Greta", "Hiro",
            "Ingrid", "Jonas", "Keiko", "Lucas", "Mira", "Nikolai", "Olga", "Pedro"};
    private static final String[] LAST = {"Abernathy", "Brannigan", "Castellanos", "Delacroix", "Eriksen", "Fujimoto",
            "Galloway", "Hargreaves", "Iwasaki", "Jovanovic", "Kowalczyk", "Lindqvist"};
    private static final String[] COMPANY_A = {"Northwind", "Bluestone", "Redfern", "Silverline", "Ironbark", "Greenhill",
            "Brightwater", "Oakridge", "Stormfield", "Clearpath"};
    private static final String[] COMPANY_B = {"Logistics", "Analytics", "Foods", "Textiles", "Robotics", "Pharma",
            "Shipping", "Energy"};
    private static final String[] CITIES = {"Lisbon", "Tallinn", "Osaka", "Valparaiso", "Winnipeg", "Marrakesh", "Bergen",
            "Adelaide", "Krakow", "Medellin", "Hanoi", "Nairobi"};

    private SyntheticTasks() {
    }

    /** {@code count} samples of a synthetic task with contexts of about {@code words} words. */
    public static List<Sample> generate(String task, long seed, int count, int words) {
        if (!TASKS.contains(task)) {
            throw new CtxbenchException("unknown synthetic task '" + task + "'; known: " + String.join(", ", TASKS));
        }
        if (words < 50) {
            throw new CtxbenchException("a synthetic context needs at least 50 words, got " + words);
        }
        if (count < 0) {
            throw new CtxbenchException("sample count must be >= 0, got " + count);
        }
        List<Sample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i * 7919L + task.hashCode());
            out.add(task.equals("needle_qa") ? needle(r, seed, i, words) : multihop(r, seed, i, words));
        }
        return out;
    }

    private static Sample needle(SplittableRandom r, long seed, int i, int words) {
        List<String> sentences = filler(r, words);
        // three distinct vaults: the first is asked about
        List<String> names = new ArrayList<>();
        while (names.size() < 3) {
            String n = pick(r, COLORS) + " " + pick(r, ANIMALS);
            if (!names.contains(n)) {
                names.add(n);
            }
        }
        String code = String.valueOf(10000 + r.nextInt(90000));
        insert(r, sentences, "The access code of the " + names.get(0) + " vault is " + code + ".");
        for (int k = 1; k < 3; k++) {
            String other;
            do {
                other = String.valueOf(10000 + r.nextInt(90000));
            } while (other.equals(code));
            insert(r, sentences, "The access code of the " + names.get(k) + " vault is " + other + ".");
        }
        String context = String.join(" ", sentences);
        return new Sample("needle_qa-s" + seed + "-w" + words + "-" + i, "needle_qa",
                "What is the access code of the " + names.get(0) + " vault?", context, List.of(code), List.of(),
                countWords(context), "synthetic:needle_qa:seed=" + seed + ":index=" + i);
    }

    private static Sample multihop(SplittableRandom r, long seed, int i, int words) {
        int passages = Math.max(3, Math.min(10, words / 150));
        List<List<String>> docs = new ArrayList<>();
        for (int p = 0; p < passages; p++) {
            docs.add(filler(r, words / passages));
        }
        List<String> people = new ArrayList<>();
        List<String> companies = new ArrayList<>();
        while (people.size() < 3) {
            String n = pick(r, FIRST) + " " + pick(r, LAST);
            if (!people.contains(n)) {
                people.add(n);
            }
        }
        while (companies.size() < 3) {
            String c = pick(r, COMPANY_A) + " " + pick(r, COMPANY_B);
            if (!companies.contains(c)) {
                companies.add(c);
            }
        }
        List<String> cities = new ArrayList<>();
        while (cities.size() < 3) {
            String c = pick(r, CITIES);
            if (!cities.contains(c)) {
                cities.add(c);
            }
        }
        for (int k = 0; k < 3; k++) {
            int a = r.nextInt(passages);
            int b;
            do {
                b = r.nextInt(passages);
            } while (b == a);   // the two hops sit in different passages
            insert(r, docs.get(a), people.get(k) + " works for " + companies.get(k) + ".");
            insert(r, docs.get(b), companies.get(k) + " is headquartered in " + cities.get(k) + ".");
        }
        StringBuilder ctx = new StringBuilder();
        for (int p = 0; p < passages; p++) {
            if (p > 0) {
                ctx.append("\n\n");
            }
            ctx.append("Passage ").append(p + 1).append(":\n").append(String.join(" ", docs.get(p)));
        }
        String context = ctx.toString();
        return new Sample("multihop_qa-s" + seed + "-w" + words + "-" + i, "multihop_qa",
                "In which city is the company that " + people.get(0) + " works for headquartered?", context,
                List.of(cities.get(0)), List.of(), countWords(context), "synthetic:multihop_qa:seed=" + seed + ":index=" + i);
    }

    private static List<String> filler(SplittableRandom r, int words) {
        List<String> s = new ArrayList<>();
        int n = 0;
        while (n < words) {
            String sentence = pick(r, SUBJECTS) + " " + pick(r, VERBS) + " " + pick(r, OBJECTS) + " " + pick(r, TAILS) + ".";
            s.add(sentence);
            n += countWords(sentence);
        }
        return s;
    }

    private static void insert(SplittableRandom r, List<String> sentences, String fact) {
        sentences.add(r.nextInt(sentences.size() + 1), fact);
    }

    private static String pick(SplittableRandom r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    private static int countWords(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }
}
