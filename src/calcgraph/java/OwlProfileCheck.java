// Loads an OWL file with the OWL API (3.x, as shipped by owlready2) and checks the OWL 2 DL profile.
//
// Usage: java -cp <dir>:owlapi-distribution-3.4.3-bin.jar OwlProfileCheck <ontology-file> [<iri>=<file> ...]
//
// Each <iri>=<file> maps an imported ontology's IRI to a local file (as an XML catalog does for Protégé), so that
// imports load offline; an import that cannot be loaded is a parse failure.
//
// Output on stdout, one record per line (UTF-8, newlines inside values collapsed to spaces):
//   FORMAT <document format the OWL API detected>
//   IMPORTED <ontology IRI>  (one per ontology in the imports closure, the loaded one excluded)
//   TRIPLES <n>              (RDF syntaxes only: triples read)
//   UNPARSED <triple>        (RDF syntaxes only: triples the parser could not map to OWL)
//   AXIOMS <n>
//   CLASSES <n>
//   UNLABELLED <iri>         (class / object / data / annotation property with no rdfs:label)
//   VIOLATION <text>         (one per OWL 2 DL profile violation)
//   DL yes|no
// or, if the file cannot be parsed, a single line `PARSE_ERROR <message>`.
//
// An empty (whitespace-only) file is reported as a parse error.
//
// Exit status: 0 parsed (with or without violations), 2 usage error, 3 parse failure.

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UnsupportedEncodingException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.RDFOntologyFormat;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLAnnotationProperty;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.model.OWLOntologyFormat;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.util.SimpleIRIMapper;

public final class OwlProfileCheck {

    private static final String[] RESERVED_NAMESPACES = {
        "http://www.w3.org/2002/07/owl#",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2001/XMLSchema#",
    };

    private OwlProfileCheck() {
    }

    private static String oneLine(Object value) {
        String text = String.valueOf(value);
        return text.replaceAll("\\s+", " ").trim();
    }

    private static boolean isReserved(OWLEntity entity) {
        if (entity.isBuiltIn()) {
            return true;
        }
        String iri = entity.getIRI().toString();
        for (String ns : RESERVED_NAMESPACES) {
            if (iri.startsWith(ns)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(File file) {
        try {
            byte[] bytes = Files.readAllBytes(file.toPath());
            for (byte b : bytes) {
                if (!Character.isWhitespace((char) (b & 0xff)) && b != 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;  // let the OWL API report the I/O problem
        }
    }

    private static void quietLogging() {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.OFF);
    }

    public static void main(String[] args) throws UnsupportedEncodingException {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        if (args.length < 1) {
            System.err.println("usage: OwlProfileCheck <ontology-file> [<iri>=<file> ...]");
            System.exit(2);
        }
        quietLogging();
        File file = new File(args[0]);
        if (!file.isFile()) {
            out.println("PARSE_ERROR no such file: " + oneLine(file.getPath()));
            out.flush();
            System.exit(3);
        }
        if (isBlank(file)) {
            // The OWL API would accept an empty document as an empty KRSS2 ontology; that proves nothing.
            out.println("PARSE_ERROR empty document: " + oneLine(file.getPath()));
            out.flush();
            System.exit(3);
        }

        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("usage: OwlProfileCheck <ontology-file> [<iri>=<file> ...]");
                System.exit(2);
            }
            File local = new File(args[i].substring(eq + 1));
            manager.addIRIMapper(new SimpleIRIMapper(IRI.create(args[i].substring(0, eq)), IRI.create(local)));
        }
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(file);
        } catch (OWLOntologyCreationException | RuntimeException e) {
            String message = e.getMessage();
            if (message == null || message.isEmpty()) {
                message = e.getClass().getName();
            }
            out.println("PARSE_ERROR " + oneLine(message));
            out.flush();
            System.exit(3);
            return;
        }

        OWLOntologyFormat format = manager.getOntologyFormat(ontology);
        out.println("FORMAT " + oneLine(format == null ? "unknown" : format.toString()));
        TreeSet<String> imported = new TreeSet<String>();
        for (OWLOntology o : manager.getImportsClosure(ontology)) {
            if (o != ontology) {
                imported.add(String.valueOf(o.getOntologyID().getOntologyIRI()));
            }
        }
        for (String iri : imported) {
            out.println("IMPORTED " + iri);
        }
        if (format instanceof RDFOntologyFormat) {
            RDFParserMetaData meta = ((RDFOntologyFormat) format).getOntologyLoaderMetaData();
            if (meta != null) {
                out.println("TRIPLES " + meta.getTripleCount());
                List<String> unparsed = new ArrayList<String>();
                for (RDFTriple triple : meta.getUnparsedTriples()) {
                    unparsed.add(oneLine(triple));
                }
                Collections.sort(unparsed);
                for (String triple : unparsed) {
                    out.println("UNPARSED " + triple);
                }
            }
        }

        out.println("AXIOMS " + ontology.getAxiomCount());
        out.println("CLASSES " + ontology.getClassesInSignature().size());

        OWLAnnotationProperty label = manager.getOWLDataFactory().getRDFSLabel();
        List<OWLEntity> entities = new ArrayList<OWLEntity>();
        entities.addAll(ontology.getClassesInSignature());
        entities.addAll(ontology.getObjectPropertiesInSignature());
        entities.addAll(ontology.getDataPropertiesInSignature());
        entities.addAll(ontology.getAnnotationPropertiesInSignature());
        TreeSet<String> unlabelled = new TreeSet<String>();
        for (OWLEntity entity : entities) {
            if (isReserved(entity)) {
                continue;
            }
            if (entity.getAnnotations(ontology, label).isEmpty()) {
                unlabelled.add(entity.getIRI().toString());
            }
        }
        for (String iri : unlabelled) {
            out.println("UNLABELLED " + iri);
        }

        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        List<String> violations = new ArrayList<String>();
        for (OWLProfileViolation violation : report.getViolations()) {
            violations.add(oneLine(violation));
        }
        Collections.sort(violations);
        for (String violation : violations) {
            out.println("VIOLATION " + violation);
        }
        out.println("DL " + (report.isInProfile() ? "yes" : "no"));
        out.flush();
        System.exit(0);
    }
}
