//! Placeholder: replaced by the expression evaluator branch.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub message: String,
}
pub fn evaluate(expr: &str) -> Result<String, ExprError> {
    Ok(expr.to_string())
}
