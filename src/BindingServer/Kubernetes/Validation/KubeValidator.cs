using FluentValidation;

namespace BindingServer.Kubernetes.Validation;

/// <summary>
/// A FluentValidation validator whose failures carry Kubernetes field errors as their state, so a kind's
/// rules read declaratively while the 422 it produces keeps apimachinery's paths and texts.
/// </summary>
public abstract class KubeValidator<T> : AbstractValidator<T>
{
    public IReadOnlyList<FieldError> Check(T value) =>
        Validate(value).Errors.Select(failure => failure.CustomState as FieldError
            ?? FieldError.Invalid(failure.PropertyName, failure.AttemptedValue, failure.ErrorMessage)).ToList();
}

public static class KubeValidatorExtensions
{
    /// <summary>Attach the field error this rule reports when it fails.</summary>
    public static IRuleBuilderOptions<T, TProperty> Reports<T, TProperty>(
        this IRuleBuilderOptions<T, TProperty> rule, Func<T, FieldError> error) =>
        rule.WithState(error);

    /// <summary>Report every error an imperative check returns (for rules over lists with indexed paths).</summary>
    public static void Errors<T>(this KubeValidator<T> validator, Func<T, IEnumerable<FieldError>> check) =>
        validator.RuleFor(x => x).Custom((value, context) =>
        {
            foreach (var error in check(value))
            {
                context.AddFailure(new FluentValidation.Results.ValidationFailure(error.Field, error.Body) { CustomState = error });
            }
        });
}
