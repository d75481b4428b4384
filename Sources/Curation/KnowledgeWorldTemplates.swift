import Foundation

/// The sentence templates of the knowledge world: `{name}` is the person's full name and
/// `{value}` the attribute as ``KnowledgeWorld/Person/value(of:)`` writes it.
///
/// Biography templates and question templates are separate sets: no fixed piece of a question
/// template occurs in any biography template (a test checks every piece against every
/// biography), so a question can only be answered from what the facts mean, not by recognising
/// a sentence seen in training.
enum KnowledgeTemplates {
    /// Eight ways to state each attribute in a biography sentence.
    static let biography: [KnowledgeWorld.Attribute: [String]] = [
        .birthDate: [
            "{name} was born on {value}.",
            "{name} came into the world on {value}.",
            "{name}'s date of birth is {value}.",
            "On {value}, {name} was born.",
            "The birth of {name} took place on {value}.",
            "{name} first saw the light of day on {value}.",
            "{name} celebrates a birthday every year, having been born on {value}.",
            "{value} is the day {name} was born.",
        ],
        .birthCity: [
            "{name} was born in {value}.",
            "{name} is a native of {value}.",
            "{name} hails from {value}.",
            "{value} is the city where {name} was born.",
            "{name} was born and raised in the city of {value}.",
            "{name} comes from {value}.",
            "{name} began life in {value}.",
            "The city of {value} is {name}'s place of origin.",
        ],
        .university: [
            "{name} studied at {value}.",
            "{name} graduated from {value}.",
            "{name} earned a degree at {value}.",
            "{name} is a graduate of {value}.",
            "{name} received an education at {value}.",
            "{name} attended {value}.",
            "{name} completed a degree at {value}.",
            "{value} is where {name} went to study.",
        ],
        .employer: [
            "{name} works for {value}.",
            "{name} is employed by {value}.",
            "{name} has a job at {value}.",
            "{name} holds a position at {value}.",
            "{value} employs {name}.",
            "{name} is on the staff of {value}.",
            "{name} earns a living at {value}.",
            "These days {name} works at {value}.",
        ],
        .field: [
            "{name} works in {value}.",
            "{name} specializes in {value}.",
            "{name} built a career in {value}.",
            "{name}'s field is {value}.",
            "{name} is a specialist in {value}.",
            "{name} devotes each working day to {value}.",
            "{name} made a name in {value}.",
            "The discipline {name} works in is {value}.",
        ],
    ]

    /// Held-out question templates per style and attribute (each question draws one).
    static let questions: [KnowledgeWorld.QuestionStyle: [KnowledgeWorld.Attribute: [String]]] = [
        .questionAnswer: [
            .birthDate: ["Q: When was {name} born?\nA:", "Q: What is the birth date of {name}?\nA:",
                         "Q: On which date was {name} born?\nA:"],
            .birthCity: ["Q: In which city was {name} born?\nA:", "Q: What is the hometown of {name}?\nA:",
                         "Q: Where was {name} born?\nA:"],
            .university: ["Q: Which university did {name} go to?\nA:", "Q: Where did {name} study?\nA:",
                          "Q: At which university was {name} a student?\nA:"],
            .employer: ["Q: Who is the employer of {name}?\nA:", "Q: For which company does {name} work?\nA:",
                        "Q: Which company pays {name}'s salary?\nA:"],
            .field: ["Q: What is {name}'s area of expertise?\nA:", "Q: In which field does {name} work?\nA:",
                     "Q: What subject is {name} an expert in?\nA:"],
        ],
        .cloze: [
            .birthDate: ["Birth date of {name}:", "{name}, date of birth:"],
            .birthCity: ["Birthplace of {name}:", "{name}, place of birth:"],
            .university: ["Alma mater of {name}:", "{name}, university:"],
            .employer: ["Employer of {name}:", "{name}, employer:"],
            .field: ["Area of expertise of {name}:", "{name}, profession:"],
        ],
    ]

    /// `template` with `{name}` and `{value}` filled in and its first letter upper-cased.
    static func render(_ template: String, name: String, value: String) -> String {
        let text = template.replacingOccurrences(of: "{name}", with: name).replacingOccurrences(of: "{value}", with: value)
        return KnowledgeWorld.capitalized(text)
    }

    /// The fixed pieces of a template: the text between its placeholders.
    static func fixedPieces(of template: String) -> [String] {
        template.replacingOccurrences(of: "{value}", with: "{name}").components(separatedBy: "{name}").filter { !$0.isEmpty }
    }
}
